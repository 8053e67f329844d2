// How an `idp` command declares itself: its subcommands, their arguments and options, one line of help each. From
// that one declaration come the parsing, `--help` at every level, and the message naming the real options when an
// unknown one is typed.
import { parseArgs } from 'node:util';
import { UsageError, type Io } from './io.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in the help (`NAME`, `URL`). */
  arg?: string;
  /** The command needs it: shown without brackets in the usage line, and its absence refused before the command runs. */
  required?: boolean;
  help: string;
}
type Options = Record<string, OptionSpec>;

export type Values<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? (O[K]['multiple'] extends true ? string[] : string) : O[K]['multiple'] extends true ? boolean[] : boolean;
};

export interface Action<O extends Options, C> {
  summary: string;
  /** Positional arguments, each required: `['ORG', 'USERNAME']`. */
  args?: readonly string[];
  options?: O;
  run(input: { values: Values<O>; args: string[] }, ctx: C): Promise<void>;
}

/** Keeps the option names' literal types, so that `run` sees its values typed. */
export const action = <const O extends Options, C>(a: Action<O, C>): Action<O, C> => a;

/** A command is one action (`idp migrate`) or a set of subcommands (`idp users create|list|…`). */
export type CommandSpec<C> = { summary: string } & ({ action: Action<Options, C> } | { subcommands: Record<string, Action<Options, C>> });

const HELP: OptionSpec = { type: 'boolean', help: 'this help' };

function optionLine(name: string, o: OptionSpec): string {
  return `--${name}${o.arg ? ` ${o.arg}` : ''}`;
}

function usageOf(path: string, a: Action<Options, unknown>): string {
  const options = Object.entries(a.options ?? {}).map(([n, o]) => `${o.required ? optionLine(n, o) : `[${optionLine(n, o)}]`}${o.multiple ? '…' : ''}`);
  return ['usage: idp', path, ...(a.args ?? []), ...options].join(' ');
}

function helpOf(path: string, a: Action<Options, unknown>): string {
  const options = Object.entries({ ...a.options, help: HELP });
  const width = Math.max(...options.map(([n, o]) => optionLine(n, o).length));
  return [usageOf(path, a), '', a.summary, '', 'options:', ...options.map(([n, o]) => `  ${optionLine(n, o).padEnd(width)}  ${o.help}`), ''].join('\n');
}

function listing(title: string, entries: [string, { summary: string }][]): string {
  const width = Math.max(...entries.map(([n]) => n.length));
  return [title, ...entries.map(([n, e]) => `  ${n.padEnd(width)}  ${e.summary}`), ''].join('\n');
}

/** The top-level help: every command with its summary. */
export function commandsHelp(commands: Record<string, { summary: string }>): string {
  return listing('usage: idp <command> [--help]\n\ncommands:', Object.entries(commands));
}

const wantsHelp = (argv: string[]) => argv.includes('--help') || argv.includes('-h');

/** Parses `argv` for `name`'s command and runs it; `--help` anywhere prints the help of the level it is given at. */
export async function runSpec<C>(name: string, spec: CommandSpec<C>, argv: string[], io: Io, ctx: C): Promise<void> {
  let path = name;
  let a: Action<Options, C>;
  let rest = argv;
  if ('subcommands' in spec) {
    const [sub, ...after] = argv;
    const chosen = sub === undefined ? undefined : spec.subcommands[sub];
    if (!chosen) {
      const text = listing(
        `usage: idp ${name} <${Object.keys(spec.subcommands).join('|')}> [--help]\n\n${spec.summary}\n\nsubcommands:`,
        Object.entries(spec.subcommands),
      );
      if (sub === undefined || sub === '--help' || sub === '-h') {
        if (sub === undefined) throw new UsageError(text.trimEnd());
        return io.out(text);
      }
      throw new UsageError(`Unknown subcommand '${sub}' of idp ${name}.\n${text.trimEnd()}`);
    }
    path = `${name} ${sub}`;
    a = chosen;
    rest = after;
  } else {
    a = spec.action;
  }
  if (wantsHelp(rest)) return io.out(helpOf(path, a));
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...a.options }, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw e;
    const known = Object.entries(a.options ?? {}).map(([n, o]) => optionLine(n, o));
    const typed = /'(-[^']*)'/.exec((e as Error).message)?.[1] ?? '';
    const what = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `Unknown option '${typed}'` : `Option '${typed}' needs a value`;
    throw new UsageError(
      `${what} for idp ${path}; ${known.length ? `its options are ${known.join(', ')}` : 'it takes no options'} (idp ${path} --help explains them).`,
    );
  }
  const expected = a.args ?? [];
  if (parsed.positionals.length !== expected.length) throw new UsageError(usageOf(path, a));
  const missing = Object.entries(a.options ?? {}).find(([n, o]) => o.required && parsed.values[n] === undefined);
  if (missing) throw new UsageError(`idp ${path} needs ${optionLine(...missing)}.\n${usageOf(path, a)}`);
  await a.run({ values: parsed.values as Values<Options>, args: parsed.positionals }, ctx);
}
