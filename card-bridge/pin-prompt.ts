// Asking the PIN (and which card, when several are inserted) in the terminal. On a TTY the PIN is read in raw mode
// and never echoed; other answers are echoed. When standard input
// is not a TTY (scripts, tests), each PIN is one line of it. Questions go to stderr so that stdout stays the
// command's result.
import { createInterface } from 'node:readline';
import { BridgeError } from './errors.ts';

export interface PinPrompt {
  /** Rejects with `cancelled` (Ctrl-C, end of input) or with the signal's reason when it aborts. */
  ask(question: string, signal?: AbortSignal, options?: { echo?: boolean }): Promise<string>;
  close(): void;
}

const cancelled = () => new BridgeError('cancelled', 'PIN entry was cancelled');

function ttyPrompt(input: NodeJS.ReadStream, output: NodeJS.WritableStream): PinPrompt {
  // What was typed after an answer's Enter, before the next question: the next answer's beginning, not noise.
  let typedAhead = '';
  return {
    ask(question, signal, options) {
      const echo = (s: string) => void (options?.echo && output.write(s));
      output.write(question);
      return new Promise((resolve, reject) => {
        let pin = '';
        const finish = (error: unknown, value?: string) => {
          input.off('data', onData);
          signal?.removeEventListener('abort', onAbort);
          input.setRawMode(false);
          input.pause();
          output.write('\n');
          if (error) reject(error instanceof Error ? error : new Error('the PIN prompt was interrupted'));
          else resolve(value ?? '');
        };
        const onAbort = () => finish(signal?.reason);
        const onData = (chunk: Buffer | string) => {
          const chars = [...chunk.toString()];
          for (const [i, ch] of chars.entries()) {
            if (ch === '\r' || ch === '\n') {
              typedAhead = chars.slice(i + 1).join('');
              return finish(undefined, pin);
            }
            if (ch === '\u0003' || ch === '\u0004') return finish(cancelled());
            if (ch === '\u007f' || ch === '\b') {
              if (pin) echo('\b \b');
              pin = pin.slice(0, -1);
            } else if (ch >= ' ') {
              pin += ch;
              echo(ch);
            }
          }
        };
        input.setRawMode(true);
        input.resume();
        input.on('data', onData);
        signal?.addEventListener('abort', onAbort, { once: true });
        const ahead = typedAhead;
        typedAhead = '';
        if (ahead) onData(ahead);
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
        signal?.addEventListener(
          'abort',
          () => {
            const i = waiters.indexOf(waiter);
            if (i < 0) return; // already answered
            waiters.splice(i, 1);
            reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
          },
          { once: true },
        );
      });
    },
    close: () => rl.close(),
  };
}

export function createPinPrompt(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stderr): PinPrompt {
  return input.isTTY ? ttyPrompt(input, output) : linePrompt(input, output);
}
