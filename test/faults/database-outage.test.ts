// PostgreSQL goes away under load and comes back: the provider answers 503 quickly with a page that says what
// to do (never a 500 or a stack trace), and recovers by itself without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { has } from '../helpers/components.ts';
import { freshPostgresUrl } from '../helpers/db.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createDb } from '../../provider/db/knex.ts';
import { migrate } from '../../provider/db/migrate.ts';
import { createClient } from '../../provider/oidc/clients.ts';

describe.skipIf(!has('postgres'))('database outage', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let idp: TestProvider;
  let machine: { client_id: string; client_secret?: string };

  beforeAll(async () => {
    const direct = new URL(await freshPostgresUrl());
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.port = String(proxy.port);
    const databaseUrl = direct.toString();
    const db = createDb({ databaseUrl, dataDir: 'memory://' });
    await migrate(db, databaseUrl);
    idp = await startTestProvider('postgres', {}, { db, databaseUrl });
    machine = await createClient(idp.services.provider(), { name: 'Machine', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
  });

  afterAll(async () => {
    await idp?.close();
    await idp?.db.destroy();
    await proxy?.close();
  });

  const token = () =>
    fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });

  it('fails fast with 503 and a clear page during the outage, then recovers without a restart', async () => {
    expect((await token()).status).toBe(200);

    // Load running while the database disappears and comes back.
    const statuses: number[] = [];
    const slowest = { ms: 0 };
    let running = true;
    const loop = (async () => {
      while (running) {
        const t = performance.now();
        const res = await token();
        await res.arrayBuffer();
        statuses.push(res.status);
        slowest.ms = Math.max(slowest.ms, performance.now() - t);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();

    const t0 = performance.now();
    const tokenDuring = await token();
    expect(tokenDuring.status).toBe(503);
    expect(tokenDuring.headers.get('retry-after')).toBe('30');
    expect(await tokenDuring.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(performance.now() - t0).toBeLessThan(3000);

    const health = await fetch(`${idp.issuer}/healthz`);
    expect(health.status).toBe(503);
    const authorize = await fetch(`${idp.issuer}/auth?client_id=x&response_type=code&scope=openid&redirect_uri=https://x.invalid/`, { headers: { accept: 'text/html' } });
    expect(authorize.status).toBe(503);
    const page = await authorize.text();
    expect(page).toContain('Try again in a minute');
    expect(page).not.toMatch(/at .*\.ts:\d+|Error:/);

    await new Promise((r) => setTimeout(r, 500));
    await proxy.restore();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await token()).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    expect((await fetch(`${idp.issuer}/healthz`)).status).toBe(200);
    running = false;
    await loop;

    expect(statuses).toContain(503);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(slowest.ms).toBeLessThan(6000);
  });
});
