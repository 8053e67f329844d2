#!/usr/bin/env node
// `idp`: start the provider and administer it. On the embedded database one process at a time opens DATA_DIR:
// while a provider serves it, every other command runs inside that provider through its admin socket; otherwise
// the command takes the folder's lock itself for its duration.
import './cli/runtime-check.ts';
import { loadConfig, settingsTable, type Config } from './settings.ts';
import { existsSync } from 'node:fs';
import { createDb, embeddedDatabaseDir, type Db } from '../platform/db/knex.ts';
import { logToStderr } from '../platform/log.ts';
import { DataDirBusyError, lockDataDir, type DataDirLock } from '../platform/db/data-dir-lock.ts';
import { createServices, type Services } from './server.ts';
import { commands, type CommandContext } from './cli/commands.ts';
import { runOnAdminSocket } from './cli/admin-socket.ts';
import { describeError } from './cli/describe-error.ts';
import { processIo, UsageError, type Io } from './cli/io.ts';
import { action, commandsHelp, runSpec, type CommandSpec } from './cli/spec.ts';
import { start } from './cli/start.ts';

/** Runs one database command with `ctx`, printing its failure instead of throwing. */
async function runCommand(name: string, argv: string[], ctx: CommandContext): Promise<void> {
  try {
    const command = commands[name];
    if (!command) throw new UsageError(commandsHelp(everyCommand).trimEnd());
    await runSpec(name, command, argv, ctx.io, ctx);
  } catch (e) {
    ctx.io.err(`${describeError(e)}\n`);
    ctx.io.exitCode = 2;
  }
}

/** A command run in this process: the database is opened when the command first needs it, and closed after. */
async function runHere(name: string, argv: string[], config: Config, io: Io, lock: DataDirLock | undefined): Promise<void> {
  logToStderr();
  let db: Db | undefined;
  let services: Promise<Services> | undefined;
  const open = () => (db ??= createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  try {
    await runCommand(name, argv, {
      config,
      io,
      cwd: process.cwd(),
      db: async () => open(),
      services: () => (services ??= createServices(config, open())),
    });
  } finally {
    await db?.destroy();
    lock?.release();
  }
}

/** The commands that need no database: they never go through a serving provider. */
const ownCommands = {
  start: {
    summary: 'migrates the database and serves (on the embedded one: owns DATA_DIR and runs the other commands)',
    action: action({
      summary:
        'Migrates the database and serves. On the embedded database this process owns DATA_DIR: a second start is refused, and the other idp commands run through it.',
      async run(_input, { config, io }: { config: Config; io: Io }) {
        await start(
          config,
          io,
          (services) => (args, remoteIo, cwd) =>
            runCommand(args[0] ?? '', args.slice(1), {
              config: services.config,
              io: remoteIo,
              cwd,
              db: async () => services.db,
              services: async () => services,
            }),
        );
      },
    }),
  },
  config: {
    summary: 'prints the table of settings',
    action: action({
      summary: 'Prints every setting: environment variable, default and meaning (the README has the same table).',
      async run(_input, { io }: { config: Config; io: Io }) {
        io.out(settingsTable() + '\n');
      },
    }),
  },
} satisfies Record<string, CommandSpec<{ config: Config; io: Io }>>;

const everyCommand = { ...ownCommands, ...commands };

async function main([name = '--help', ...argv]: string[]): Promise<number> {
  const io = processIo();
  if (!(name in everyCommand)) {
    const help = name === '--help' || name === '-h' || name === 'help';
    (help ? io.out : io.err)(`${help ? '' : `Unknown command '${name}'.\n`}${commandsHelp(everyCommand)}`);
    return help ? 0 : 2;
  }
  const config = loadConfig();
  if (name === 'start' || name === 'config') {
    await runSpec(name, ownCommands[name], argv, io, { config, io });
    return io.exitCode;
  }
  // Help needs no database: it is printed here, without the lock or the serving provider.
  if (argv.includes('--help') || argv.includes('-h')) {
    await runHere(name, argv, config, io, undefined);
    return io.exitCode;
  }
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    try {
      lock = await lockDataDir(config.dataDir, { role: 'command', what: `idp ${name}` }, 10_000);
    } catch (e) {
      if (!(e instanceof DataDirBusyError && e.holder.role === 'serve')) throw e;
      return runOnAdminSocket(config.dataDir, [name, ...argv], io);
    }
    // A second shell without the server's DATABASE_URL, or in another folder, would otherwise fill a database that no
    // provider serves, and then not find the accounts the provider has ("No user with username …").
    if (!existsSync(embeddedDatabaseDir(config.dataDir)))
      io.err(
        `Note: there was no database in ${config.dataDir}, and no provider serving it: this command makes a new embedded one there. ` +
          'A provider on PostgreSQL does not see it: give this command the same DATABASE_URL as the provider, or run it in the folder where the provider runs.\n',
      );
  }
  await runHere(name, argv, config, io, lock);
  return io.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${describeError(e)}\n`);
    process.exitCode = 2;
  },
);
