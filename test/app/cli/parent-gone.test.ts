// `npm start` runs the provider under `sh -c`; killing npm ended the shell, and the provider, adopted by init, served
// on and held DATA_DIR, so that the next `npm start` was refused ("is in use by process …"). It now stops with its
// parent, and the folder is free for the next start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnProvider } from '../../helpers/provider.ts';

const CLI = fileURLToPath(new URL('../../../provider/app/cli.ts', import.meta.url));
const health = (url: string) =>
  fetch(`${url}/healthz`).then(
    (r) => r.status,
    () => 'closed' as const,
  );
/** Waits until `done` holds, or `ms` have passed. */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !(await done()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('idp start under a wrapper that is killed', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'idp-orphan-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops, and leaves DATA_DIR to the next start', async () => {
    const port = String(await freePort());
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'silent', METRICS_PORT: '0', PORT: port, ISSUER: url };
    // As npm's `sh -c`: a shell that does not exec the provider, and says the provider's process number.
    const shell = spawn('sh', ['-c', `"$0" "$1" start & echo $!; wait`, process.execPath, CLI], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const provider = Number(await new Promise<string>((resolve) => shell.stdout.once('data', (d) => resolve(String(d).trim()))));
    let pid = provider;
    try {
      await until(async () => (await health(url)) === 200, 60_000);
      expect(await health(url)).toBe(200);
      shell.kill('SIGKILL');
      await until(() => !alive(provider), 15_000);
      expect([alive(provider), await health(url)]).toEqual([false, 'closed']);
      pid = 0;
      const next = await spawnProvider({ DATA_DIR: dataDir });
      await next.stop();
    } finally {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
