// What an operator's monitoring sees of a provider running as a cluster: Prometheus scrapes one listener on
// loopback and gets the logins, tokens and request times of every worker added up, labelled by route pattern, never
// by a raw path; the orchestrator tells alive from ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { freshPostgresUrl } from '../helpers/db.ts';
import { freePort, runCli, spawnProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { authorize, discover, login } from '../helpers/rp.ts';
import { startCallbackServer } from '../helpers/callback-server.ts';

/** The value of one series in Prometheus' text format, e.g. `belid_logins_total{method="password",result="success"}`. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(!(has('postgres') && has('chromium')))('metrics and health of a provider cluster', () => {
  let env: Record<string, string>;
  let server: Awaited<ReturnType<typeof spawnProvider>>;
  let metricsUrl: string;
  let browser: Browser;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let config: client.Configuration;

  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    env = { DATABASE_URL: await freshPostgresUrl(), WORKERS: '2', METRICS_PORT: String(metricsPort) };
    server = await spawnProvider(env);
    rp = await startCallbackServer();
    const created = await runCli(['clients', 'create', '--name', 'Portal', '--redirect-uri', `${rp.url}/cb`, '--first-party'], env);
    expect(created.code, created.stderr).toBe(0);
    config = await discover(server.url, /client_id: (\S+)/.exec(created.stdout)![1]!, /client_secret: (\S+)/.exec(created.stdout)![1]);
    const user = await runCli(['users', 'create', '--username', 'els.maes', '--email', 'els@example.be'], env, 'a long enough password\n');
    expect(user.code, user.stderr).toBe(0);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rp?.close();
  });

  it('counts the logins and tokens of every worker, and times requests by route pattern', async () => {
    const interactionPaths: string[] = [];
    for (let i = 0; i < 4; i++) {
      const page = await (await browser.newContext()).newPage();
      page.on('request', (r) => r.url().includes('/interaction/') && interactionPaths.push(new URL(r.url()).pathname));
      await login(page, config, { redirectUri: `${rp.url}/cb`, identifier: 'els.maes', password: 'a long enough password' });
    }
    const wrong = await (await browser.newContext()).newPage();
    expect(
      (await authorize(wrong, config, { redirectUri: `${rp.url}/cb`, identifier: 'els.maes', password: 'not the password at all' })).callback,
    ).toBeUndefined();

    const answer = await fetch(metricsUrl);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(value(text, 'belid_logins_total{method="password",result="success"}')).toBe(4);
    expect(value(text, 'belid_logins_total{method="password",result="failure"}')).toBe(1);
    expect(value(text, 'belid_tokens_issued_total{grant="authorization_code"}')).toBe(4);
    expect(value(text, 'belid_http_request_duration_seconds_count{route="oidc:token",method="POST",status="200"}')).toBe(4);
    expect(value(text, 'belid_http_request_duration_seconds_count{route="/interaction/:uid/login",method="POST",status="303"}')).toBe(4);
    expect(value(text, 'belid_outbox_pending{channel="email"}') ?? 0).toBeGreaterThanOrEqual(0);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('belid_db_pool_used');
    // A series per interaction id would grow without bound and carry the ids: none appears.
    expect(interactionPaths.length).toBeGreaterThan(0);
    for (const path of new Set(interactionPaths)) expect(text).not.toContain(path);
  });

  it('says where it serves once every worker listens, and that another terminal needs the same DATABASE_URL', async () => {
    // Before, a cluster printed one JSON line ("provider cluster") and nothing else: not where it listened, nor the
    // first steps, whose commands then filled an embedded database of their own in a shell without DATABASE_URL.
    await expect.poll(() => server.output(), { timeout: 90_000 }).toContain('Database: PostgreSQL (DATABASE_URL), served by 2 processes');
    expect(server.output()).toContain(`Identity provider at ${server.url}`);
    expect(server.output()).toMatch(/In another terminal, with the same DATABASE_URL:\n {4}npx idp users create --username alice/);
  }, 120_000);

  // Each of its processes loads the whole provider before it fails: slow on a loaded machine.
  it('ends, saying why, when its port is taken: it does not wait for ever on workers that cannot listen', async () => {
    const second = await runCli(['start'], { ...env, PORT: new URL(server.url).port, METRICS_PORT: String(await freePort()) });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`PORT ${new URL(server.url).port} is already in use`);
    expect(second.stderr).toContain('a provider process could not start (its reason is above), so none serves');
  }, 120_000);

  it('serves the metrics on their own listener only, not on the public port', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });

  it('is alive and ready; not ready while a migration is missing, alive all the same', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const last = (await db.query('select * from knex_migrations order by id desc limit 1')).rows[0] as Record<string, unknown>;
      await db.query('delete from knex_migrations where id = $1', [last.id]);
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'unavailable', reason: '1 database migration(s) not applied; run idp migrate' });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await db.query('insert into knex_migrations (id, name, batch, migration_time) values ($1, $2, $3, $4)', [
        last.id,
        last.name,
        last.batch,
        last.migration_time,
      ]);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await db.end();
    }
  });
});
