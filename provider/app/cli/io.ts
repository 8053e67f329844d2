// What an `idp` command talks to: the terminal that runs it, or, when a provider serves the embedded database, the
// terminal at the other end of its admin socket. Commands write and ask through this, never through process.stdout.
import { createInterface } from 'node:readline';
import { z } from 'zod';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** One line from the person at the terminal, not echoed (passwords, secrets). */
  ask(prompt: string): Promise<string>;
  /** Whether `ask` reaches a person at a terminal (not a pipe): a new password is then asked twice. */
  terminal?: boolean;
  /** The command's exit status: 0 unless it sets another. */
  exitCode: number;
}

/** A mistake in the command line: its message says what to type instead. */
export class UsageError extends Error {}

/**
 * `run`, its schema's refusals told in the command line's words: a field is named by the option that fills it
 * ("--id-token-alg: expected RS256 or ES256"), not by the schema's own name for it, which the person never typed.
 */
export async function inOptionNames<T>(options: Readonly<Record<string, string>>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof z.ZodError)) throw e;
    // The second of two --redirect-uri is "--redirect-uri #2".
    const named = (option: string, at: PropertyKey | undefined) => [`--${option}${typeof at === 'number' ? ` #${at + 1}` : ''}`];
    throw new z.ZodError(
      e.issues.map((i) => (typeof i.path[0] === 'string' && options[i.path[0]] ? { ...i, path: named(options[i.path[0]]!, i.path[1]) } : i)),
    );
  }
}

/**
 * A new password, asked twice at a terminal so that a typo (not echoed) is not what gets set; once from a pipe.
 * `otherWay`: how else the command takes one, for the message when none comes.
 */
export async function askNewPassword(io: Io, prompt: string, otherWay = ''): Promise<string> {
  const password = await io.ask(prompt);
  // An empty or closed standard input (</dev/null, a cron job) is no password at all, not a short one to refuse by policy.
  if (password === '')
    throw new UsageError(`No password was given: type it when asked, or send it on standard input (one line)${otherWay}. Nothing was changed.`);
  if (!io.terminal) return password;
  if ((await io.ask('Again, to confirm: ')) !== password) throw new UsageError('The two passwords differ; nothing was changed. Run the command again.');
  return password;
}

/** Reads a line from the terminal without echo, or one line from a pipe. */
export async function readSecretLine(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stdout.write(prompt);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    // A pipe that ends without a line answers an empty one, instead of leaving the command waiting.
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (process.stdin.isTTY) process.stdout.write('\n');
  return line;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    ask: readSecretLine,
    terminal: Boolean(process.stdin.isTTY),
    exitCode: 0,
  };
}
