// The embedded database has one writer: the process holding DATA_DIR/belid.lock. PGlite itself does not stop a
// second process opening the same folder, and two writers lose each other's data. The lock names its holder, so
// that a second `idp start` can say which process serves and an `idp` command can find the serving one.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

export interface LockHolder {
  pid: number;
  /** `serve`: a provider that answers commands on its admin socket; `command`: an `idp` command with the folder open. */
  role: 'serve' | 'command';
  /** What the holder runs, for the message of whoever is refused. */
  what: string;
}

export interface DataDirLock {
  release(): void;
}

const lockFile = (dataDir: string) => path.resolve(dataDir, 'belid.lock');

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** The live process holding DATA_DIR, if any. */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(lockFile(dataDir));
  return holder && isAlive(holder.pid) ? holder : undefined;
}

export class DataDirBusyError extends AppError {
  readonly holder: LockHolder;
  constructor(dataDir: string, holder: LockHolder) {
    super('data_dir_in_use', 'error.data_dir_in_use', 400, {
      dataDir: path.resolve(dataDir),
      pid: holder.pid,
      what: holder.what,
      setting: 'DATA_DIR',
    });
    this.holder = holder;
  }
}

/**
 * Takes DATA_DIR for this process, or throws DataDirBusyError naming the live holder. A lock left by a process
 * that died is taken over. `waitMs`: how long to wait for a holder that is an `idp` command (they end in seconds).
 */
export async function lockDataDir(dataDir: string, me: Omit<LockHolder, 'pid'>, waitMs = 0): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  const content = JSON.stringify({ pid: process.pid, ...me } satisfies LockHolder);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      // 'wx' creates the file only if it does not exist: of two processes, one wins.
      writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder && isAlive(holder.pid)) {
      if (holder.role === 'serve' || Date.now() >= deadline) throw new DataDirBusyError(dataDir, holder);
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    // A holder that died (or a file cut short by a crash while it was written): the lock is stale.
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const release = () => {
    if (readHolder(file)?.pid === process.pid) unlinkSync(file);
    process.off('exit', release);
  };
  // Whatever way the process ends, the next one must not find our lock (a kill -9 leaves it: stale, see above).
  process.on('exit', release);
  return { release };
}
