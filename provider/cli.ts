#!/usr/bin/env node
// `idp`: start the provider and administer it. On the embedded database one process at a time opens DATA_DIR:
// while a provider serves it, every other command runs inside that provider through its admin socket; otherwise
// the command takes the folder's lock itself for its duration.
import { loadConfig, settingsTable, type Config } from './config.ts';
import { createDb, type Db } from './db/knex.ts';
import { DataDirBusyError, lockDataDir, type DataDirLock } from './db/data-dir-lock.ts';
import { createServices, type Services } from './server.ts';
import { commands, type CommandContext } from './cli/commands.ts';
import { runOnAdminSocket } from './cli/admin-socket.ts';
import { describeError } from './cli/describe-error.ts';
import { processIo, UsageError, type Io } from './cli/io.ts';
import { start } from './cli/start.ts';

/** Runs one database command with `ctx`, printing its failure instead of throwing. */
async function runCommand(name: string, argv: string[], ctx: CommandContext): Promise<void> {
  try {
    const command = commands[name];
    if (!command) throw new UsageError(`usage: idp <${Object.keys(commands).join('|')}> …`);
    await command(argv, ctx);
  } catch (e) {
    ctx.io.err(`${describeError(e)}\n`);
    ctx.io.exitCode = 2;
  }
}

/** A command run in this process: the database is opened when the command first needs it, and closed after. */
async function runHere(name: string, argv: string[], config: Config, io: Io, lock: DataDirLock | undefined): Promise<void> {
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

async function main([name = 'help', ...argv]: string[]): Promise<number> {
  const io = processIo();
  if (name === 'help' || name === '--help' || !(name === 'start' || name === 'config' || name in commands)) {
    io.out(`usage: idp <${['start', ...Object.keys(commands), 'config'].join('|')}> …\n`);
    return name === 'help' || name === '--help' ? 0 : 2;
  }
  const config = loadConfig();
  if (name === 'config') {
    io.out(settingsTable() + '\n');
    return 0;
  }
  if (name === 'start') {
    await start(config, io, (services) => (args, remoteIo, cwd) => runCommand(args[0] ?? '', args.slice(1), { config: services.config, io: remoteIo, cwd, db: async () => services.db, services: async () => services }));
    return 0;
  }
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    try {
      lock = await lockDataDir(config.dataDir, { role: 'command', what: `idp ${name}` }, 10_000);
    } catch (e) {
      if (!(e instanceof DataDirBusyError && e.holder.role === 'serve')) throw e;
      return runOnAdminSocket(config.dataDir, [name, ...argv], io);
    }
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
