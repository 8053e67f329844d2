// The README's first steps on the embedded database, from separate processes as a new user types them: start, then
// create a user and a client in another terminal, log in through a relying app, restart, log in again. And the
// guards around them: one serving process per DATA_DIR, stale locks, WORKERS>1 refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort, runCli, spawnProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { startCallbackServer } from '../helpers/callback-server.ts';
import { discover, login } from '../helpers/rp.ts';

describe('the embedded database has one owner', { timeout: 180_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'idp-owner-'));
    env = { DATA_DIR: dataDir, NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', PORT: String(await freePort()) };
    browser = await launchBrowser();
    callback = await startCallbackServer();
  });
  afterAll(async () => {
    await browser?.close();
    await callback?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function logIn(issuer: string, client: { id: string; secret: string }) {
    const context = await browser.newContext();
    try {
      const rp = await discover(issuer, client.id, client.secret);
      const { tokens } = await login(await context.newPage(), rp, {
        redirectUri: `${callback.url}/cb`,
        identifier: 'alice',
        password: 'correct horse battery staple',
      });
      return tokens.claims();
    } finally {
      await context.close();
    }
  }

  it('follows the README: what the commands create while the provider runs is served at once and kept across a restart', async () => {
    const first = await spawnProvider(env);
    let client: { id: string; secret: string };
    let sub: string;
    try {
      // The password is asked by the serving process and typed at the command's terminal (here: its stdin).
      const user = await runCli(
        ['users', 'create', '--username', 'alice', '--email', 'alice@example.org', '--role', 'admin'],
        env,
        'correct horse battery staple\n',
      );
      expect(user.code, user.stderr).toBe(0);
      sub = /Created user alice \(sub (\S+)\)/.exec(user.stdout)?.[1] ?? 'none';
      const created = await runCli(['clients', 'create', '--name', 'My app', '--redirect-uri', `${callback.url}/cb`, '--first-party'], env);
      expect(created.code, created.stderr).toBe(0);
      const [, id = '', secret = ''] = /client_id: (\S+)\nclient_secret: (\S+)/.exec(created.stdout) ?? [];
      client = { id, secret };
      expect((await logIn(first.url, client))?.sub).toBe(sub);
      // Bad input through the serving process: the same message and status as in a process of its own.
      const bad = await runCli(['users', 'create', '--username', 'x y', '--password', 'correct horse battery staple'], env);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/username: a username is 2–64 letters/)]);
    } finally {
      await first.stop();
    }
    // The first start told what to type; a restart tells what is there.
    // Each command names this DATA_DIR: typed without it, it would open ./data, another database, and the user it
    // says it created would never log in here.
    const idp = `DATA_DIR=${dataDir} npx idp`;
    expect(first.output()).toContain(`In another terminal:\n    ${idp} users create --username alice`);
    expect(first.output()).toContain(`\n    ${idp} clients create --name "My app"`);
    const second = await spawnProvider(env);
    try {
      expect((await logIn(second.url, client))?.sub).toBe(sub);
    } finally {
      await second.stop();
    }
    expect(second.output()).toContain(`In the database: 1 account, 1 relying app (${idp} users list, ${idp} clients list)`);
    expect(second.output()).not.toContain('npx idp users create');
  });

  it("refuses a second start on the same folder, naming the serving process; its socket is the owner's only", async () => {
    const first = await spawnProvider(env);
    try {
      const again = await runCli(['start'], { ...env, PORT: String(await freePort()) });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`is in use by process ${first.child.pid} (idp start, http://127.0.0.1:${env.PORT})`);
      expect(statSync(path.join(dataDir, 'admin', 'idp.sock')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dataDir, 'admin')).mode & 0o777).toBe(0o700);
    } finally {
      await first.stop();
    }
  });

  it('takes over the lock of a process that died; a command typed while the provider starts waits for it', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    writeFileSync(path.join(dataDir, 'belid.lock'), JSON.stringify({ pid: dead, role: 'serve', what: 'idp start' }));
    // Whichever takes the folder first, the other waits: the command for the socket, the start for the command.
    const [p, user] = await Promise.all([
      spawnProvider(env),
      runCli(['users', 'create', '--username', 'bob', '--password', 'correct horse battery staple'], env),
    ]);
    try {
      expect(user.code, user.stderr).toBe(0);
      expect((await runCli(['users', 'show', 'bob', '--json'], env)).stdout).toContain('"status": "active"');
    } finally {
      await p.stop();
    }
  });

  it('ends, saying which port is taken, when PORT or METRICS_PORT is in use, and leaves the folder free', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      // Before, the process said why and then hung, holding DATA_DIR: `npm start` never returned.
      const web = await runCli(['start'], { ...env, PORT: port, METRICS_PORT: '0' });
      expect([web.code, web.stderr.trim()]).toEqual([
        2,
        `Failed: PORT ${port} is already in use on 127.0.0.1: is another provider running there? Stop it, or set another PORT (and ISSUER)`,
      ]);
      const metrics = await runCli(['start'], { ...env, PORT: String(await freePort()), METRICS_PORT: port });
      expect([metrics.code, metrics.stderr.trim()]).toEqual([
        2,
        `Failed: METRICS_PORT ${port} is already in use on 127.0.0.1: set another METRICS_PORT, or 0 to turn the metrics listener off`,
      ]);
      expect(existsSync(path.join(dataDir, 'belid.lock'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('refuses WORKERS>1 on the embedded database', async () => {
    const r = await runCli(['start'], { ...env, WORKERS: '2' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/WORKERS>1 needs DATABASE_URL: the embedded database serves one process only/);
  });
});
