// Asking the PIN in the terminal. On a TTY the PIN is read in raw mode and never echoed. When standard input
// is not a TTY (scripts, tests), each PIN is one line of it. Questions go to stderr so that stdout stays the
// command's result.
import { createInterface } from 'node:readline';
import { BridgeError } from './errors.ts';

export interface PinPrompt {
  /** Rejects with `cancelled` (Ctrl-C, end of input) or with the signal's reason when it aborts. */
  ask(question: string, signal?: AbortSignal): Promise<string>;
  close(): void;
}

const cancelled = () => new BridgeError('cancelled', 'PIN entry was cancelled');

function ttyPrompt(input: NodeJS.ReadStream, output: NodeJS.WritableStream): PinPrompt {
  return {
    ask(question, signal) {
      output.write(question);
      return new Promise((resolve, reject) => {
        let pin = '';
        const finish = (error: unknown, value?: string) => {
          input.off('data', onData);
          signal?.removeEventListener('abort', onAbort);
          input.setRawMode(false);
          input.pause();
          output.write('\n');
          if (error) reject(error);
          else resolve(value ?? '');
        };
        const onAbort = () => finish(signal?.reason);
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString('utf8')) {
            if (ch === '\r' || ch === '\n') return finish(undefined, pin);
            if (ch === '\u0003' || ch === '\u0004') return finish(cancelled());
            if (ch === '\u007f' || ch === '\b') pin = pin.slice(0, -1);
            else if (ch >= ' ') pin += ch;
          }
        };
        input.setRawMode(true);
        input.resume();
        input.on('data', onData);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {},
  };
}

function linePrompt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): PinPrompt {
  const lines: string[] = [];
  const waiters: { resolve(line: string): void; reject(e: unknown): void }[] = [];
  let ended = false;
  const rl = createInterface({ input, terminal: false });
  rl.on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(line.trim());
    else lines.push(line.trim());
  });
  rl.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w.reject(cancelled());
  });
  return {
    ask(question, signal) {
      output.write(question + '\n');
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.reject(cancelled());
      return new Promise((resolve, reject) => {
        const waiter = { resolve, reject };
        waiters.push(waiter);
        signal?.addEventListener('abort', () => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return; // already answered
          waiters.splice(i, 1);
          reject(signal.reason);
        }, { once: true });
      });
    },
    close: () => rl.close(),
  };
}

export function createPinPrompt(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stderr): PinPrompt {
  return input.isTTY ? ttyPrompt(input, output) : linePrompt(input, output);
}
