// Starts a provider in the test process (or as a separate `idp start` process) on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../provider/app/settings.ts';
import { startServer, type RunningServer } from '../../provider/app/server.ts';
import type { Db } from '../../provider/platform/db/knex.ts';
import { testDb, type DbKind } from './db.ts';
import { freePort } from './ports.ts';

export { freePort };

export interface TestProvider extends RunningServer {
  issuer: string;
  db: Db;
  databaseUrl: string | undefined;
}

/** A provider on `kind` with test-friendly settings (cheap argon2 unless overridden); `env` overrides settings. */
export async function startTestProvider(
  kind: DbKind = 'pglite',
  env: Record<string, string> = {},
  shared?: { db: Db; databaseUrl: string | undefined },
): Promise<TestProvider> {
  const { db, databaseUrl } = shared ?? (await testDb(kind));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: issuer,
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    // In the test process the pool threads serve the test runner too; `idp start` processes keep the default.
    ARGON2_NICE: '0',
    // Tests read the claims right after changing an account; the claims cache has its own test (test/oidc/claims-cache.test.ts).
    ACCOUNT_CACHE_SECONDS: '0',
    // An access line per request would bury a failing test's output.
    LOG_LEVEL: 'warn',
    // Every sign-up would wait half a second; the even answer has its own test (registration/enumeration.test.ts).
    SIGN_UP_RESPONSE_MS: '1',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const running = await startServer(config, { db });
  return {
    ...running,
    issuer,
    db,
    databaseUrl,
    async close() {
      await running.close();
      if (!shared) await db.destroy();
    },
  };
}

const CLI = fileURLToPath(new URL('../../provider/app/cli.ts', import.meta.url));

/** Runs `idp …` as a child process (Node 24 from node_modules/.bin, via the PATH npm sets). */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** `idp start` in its own process; resolves once it answers /healthz. */
export async function spawnProvider(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; output(): string; stop(): Promise<void> }> {
  const port = env.PORT ?? String(await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [CLI, 'start'], {
    // No metrics listener unless a test asks: parallel test files would all want the default port.
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      ACCOUNT_CACHE_SECONDS: '0',
      SIGN_UP_RESPONSE_MS: '1',
      METRICS_PORT: '0',
      ISSUER: url,
      ...env,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // Generous: the machine's two cores are shared with other suites.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`provider exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      // Left running, it would keep DATA_DIR and serve the next test's commands.
      child.kill('SIGKILL');
      throw new Error(`provider did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    /** What it printed so far, stdout and stderr. */
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
