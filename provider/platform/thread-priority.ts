// argon2id runs on libuv's thread pool, and a login's hash takes tens of milliseconds of a core. At the same
// priority as the event loop, the scheduler shares a core evenly between them, so every other request waits behind
// the hashes in progress. Lowered ("niced") pool threads still take every idle cycle, but yield a core to the event
// loop the moment it has work. Linux lets a thread's priority be set by its id, and names libuv's pool threads.
import { access } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The name libuv gives its pool threads. */
export const POOL_THREAD = 'libuv-worker';

/** The ids of this process's thread-pool threads (none where /proc is not Linux's). */
function poolThreads(): number[] {
  try {
    return readdirSync('/proc/self/task')
      .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === POOL_THREAD)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Gives libuv's pool threads the nice value `nice` (0 leaves them as they are). The pool starts its threads at its
 * first job, so one is sent first. A system that refuses is left as it is: the argon2id gate still bounds the hashes
 * at once.
 */
export async function lowerThreadPoolPriority(nice: number): Promise<void> {
  if (nice === 0) return;
  await access('.').catch(() => undefined);
  for (const tid of poolThreads()) {
    try {
      setPriority(tid, nice);
    } catch {
      /* not permitted here, or the thread ended */
    }
  }
}
