// What every `idp` command runs with, and what they share to answer: they reach the database, the terminal and the
// files only through this context, so that they run the same in the `idp` process or inside a serving provider.
import type { Config } from '../settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { Services } from '../services.ts';
import type { Io } from './io.ts';

export interface CommandContext {
  config: Config;
  io: Io;
  /** The folder the command was typed in: relative file names are read from there. */
  cwd: string;
  db(): Promise<Db>;
  services(): Promise<Services>;
}

export interface CommandOutput {
  stdout: string;
  stderr?: string;
  ok: boolean;
}

export const json = (io: Io, value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);

export function print(io: Io, out: CommandOutput): void {
  io.out(out.stdout);
  if (out.stderr) io.err(out.stderr);
  if (!out.ok) io.exitCode = 1;
}

export const JSON_OPTION = { json: { type: 'boolean', help: 'print JSON (the fields are listed in the README)' } } as const;
export const LOCALE_HELP = 'language of the mail: nl, fr, de or en (default DEFAULT_LOCALE)';
