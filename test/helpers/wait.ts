// Polls until `probe` returns something other than undefined, for assertions on things that happen in the
// background (a worker sending, a server receiving). Fails with `what` after `timeoutMs`.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
