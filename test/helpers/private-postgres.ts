// A PostgreSQL server of the test's own, in a temporary directory, that the test may stop and start: the shared
// server on 5432 must stay up for every other suite. It uses the Debian server binaries that come with any
// PostgreSQL install; as root it runs as the "postgres" user, since the server refuses to run as root.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const VERSIONS = '/usr/lib/postgresql';

export interface PrivatePostgres {
  /** Superuser "postgres", trust authentication, over TCP on loopback. */
  url: string;
  /** Returns once the server accepts connections again (after crash recovery, when stopped immediately). */
  start(): Promise<void>;
  /** `immediate` is a crash as far as clients see it: no goodbye to open connections, recovery at the next start. */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  /** Stops the server if it runs and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest installed server's bin directory. */
function binaries(): string {
  const versions = existsSync(VERSIONS) ? readdirSync(VERSIONS).filter((v) => existsSync(join(VERSIONS, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${VERSIONS}/*/bin: apt-get install -y postgresql`);
  return join(VERSIONS, newest, 'bin');
}

/** The account the server runs as: ours, or "postgres" when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'belid-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const pg = async (tool: string, args: string[]) => {
    try {
      await run(join(bin, tool), args, { ...user, env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000 });
    } catch (e) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${tool} ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}\n${log}`, { cause: e });
    }
  };
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pg('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60']);
    },
    async stop(mode) {
      await pg('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
    },
    async destroy() {
      try {
        // The pid file is there while a server runs, even one whose start timed out.
        if (existsSync(join(data, 'postmaster.pid'))) await server.stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    if (user) chownSync(dir, user.uid, user.gid);
    await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
    // A stop is a killed process, never a lost machine: the page cache keeps what fsync would have, so skip it.
    const settings = {
      port,
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${dir}'`,
      fsync: 'off',
      shared_buffers: "'32MB'",
      max_connections: 50,
    };
    await appendFile(
      join(data, 'postgresql.conf'),
      Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join(''),
    );
    await server.start();
    return server;
  } catch (e) {
    await server.destroy();
    throw e;
  }
}
