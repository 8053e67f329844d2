// The flow store as an attacker meets it: a flow read with another binding is refused and audited, a browser's and
// an API client's bindings never match, flows started from one address are limited (a login's own per login), and
// expired flows are purged as soon as they expire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { createFlowStore } from '../../../provider/domain/flow-state/store.ts';
import { inRequest } from '../../../provider/platform/log.ts';
import { randomUUID } from 'node:crypto';
import { apiBinding, browserBindingOf, newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { testDb } from '../../helpers/db.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { Agent, text } from '../../flows/account/agent.ts';

describe('flows bound to whoever started them', () => {
  let db: Db;
  let now = new Date('2026-12-05T10:00:00Z');
  const flows = createFlowStore(() => now);

  beforeAll(async () => {
    ({ db } = await testDb('pglite'));
  });
  afterAll(() => db?.destroy());

  it('gives a flow only to its binding, and audits the first other reader', async () => {
    const mine = browserBindingOf('a'.repeat(43));
    const flow = await flows.create(db, { type: 'reactivation', state: 'awaiting_card', binding: mine, data: { mobile: '+32470123456' }, ttlSeconds: 600 });
    expect((await flows.get(db, flow.id, 'reactivation', mine)).data).toEqual({ mobile: '+32470123456' });
    const strangers = Array.from({ length: 20 }, (_, i) => browserBindingOf(String(i).padStart(43, 'c')));
    for (const other of [browserBindingOf('b'.repeat(43)), apiBinding('a'.repeat(43)), newApiSecret().binding, ...strangers]) {
      await expect(flows.get(db, flow.id, 'reactivation', other)).rejects.toMatchObject({ code: 'flow_elsewhere', status: 403 });
    }
    // Once: every request without the starter's cookie is another reader, and anyone with the id could write rows without end.
    expect(await db('audit_log').where({ event: 'flow.opened_elsewhere' })).toHaveLength(1);
    // The stored value is a digest: the browser's id is nowhere in the table.
    expect(JSON.stringify(await db('self_service_flows').where({ id: flow.id }).first())).not.toContain('a'.repeat(43));
  });

  it("audits a reader's address a few times an hour, then once that it stopped; a flow naming an account always", async () => {
    const start = (userId?: string) => flows.create(db, { type: 'registration', state: 'form', binding: newApiSecret().binding, userId, ttlSeconds: 600 });
    const unowned = await Promise.all(Array.from({ length: 13 }, () => start()));
    const owned = await start(randomUUID());
    const reader = browserBindingOf('r'.repeat(43));
    // As the provider reads them for a request from 192.0.2.44: the address each audit row names.
    const read = (f: { id: string }) =>
      inRequest(
        'req',
        () => flows.get(db, f.id, 'registration', reader),
        () => '192.0.2.44',
      ).catch(() => undefined);
    for (const f of unowned) await read(f);
    await read(owned);
    const rows = await db('audit_log').whereLike('event', 'flow.opened_elsewhere%').where({ ip: '192.0.2.44' }).select('event', 'user_id');
    expect(rows.filter((r: { event: string }) => r.event === 'flow.opened_elsewhere')).toHaveLength(11);
    expect(rows.filter((r: { event: string }) => r.event === 'flow.opened_elsewhere_unaudited')).toHaveLength(1);
    expect(rows.filter((r: { user_id: string | null }) => r.user_id !== null)).toHaveLength(1);
    // A flow past the allowance is not held for its address: read again after the hour, it will be audited.
    expect(await db('rate_limits').whereLike('key', `flow_elsewhere:${unowned[12]!.id}:%`)).toHaveLength(0);
  });

  it('deletes a flow at the first purge after it expired', async () => {
    const binding = newApiSecret().binding;
    const short = await flows.create(db, { type: 'registration', state: 'form', binding, ttlSeconds: 60 });
    const long = await flows.create(db, { type: 'registration', state: 'form', binding, ttlSeconds: 3600 });
    now = new Date(now.getTime() + 61_000);
    expect(await flows.purge(db)).toBeGreaterThanOrEqual(1);
    expect(await db('self_service_flows').where({ id: short.id })).toHaveLength(0);
    expect(await db('self_service_flows').where({ id: long.id })).toHaveLength(1);
  });
});

describe('flow starts per client address', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', RATE_LIMIT_FLOWS: '5' });
  });
  afterAll(() => idp?.close());

  it('stores at most RATE_LIMIT_FLOWS flows a minute for one address, then answers 429 and stores nothing', async () => {
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${idp.issuer}/registration/open`, { headers: { 'accept-language': 'en' } })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(await idp.services.db('self_service_flows').count({ n: '*' })).toEqual([{ n: 5 }]);
    const refused = await fetch(`${idp.issuer}/registration/open`, { headers: { 'accept-language': 'en' } });
    // How long, not "a moment": the limit counts by the minute.
    expect(await refused.text()).toContain('Too many attempts. Try again in 1 minute.');
  });

  it("counts a login's own flows (passkey, eID card) per login: the address's share spent, and one login's too, another login still gets them", async () => {
    const redirect = 'http://127.0.0.1:9/cb';
    const app = await createClient(idp.services.provider(), { name: 'School portal', redirectUris: [redirect], firstParty: true });
    const config = await discover(idp.issuer, app.client_id, app.client_secret);
    // Someone behind the same address (a school) has spent its share of flows on sign-ups.
    while ((await fetch(`${idp.issuer}/registration/open`)).status !== 429);
    const login = async () => {
      const agent = new Agent(idp.issuer);
      const { page } = await agent.startAuthorization(config, redirect, 'openid', { ui_locales: 'en' });
      return { agent, uid: /\/interaction\/([\w-]+)/.exec(page.url)![1]! };
    };
    const passkeyOptions = async ({ agent, uid }: { agent: Agent; uid: string }) =>
      (await agent.raw(`/interaction/${uid}/passkey/options`, { form: {} })).status;

    const flooder = await login();
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await passkeyOptions(flooder));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // The passkey script tells the person how long to wait from the refusal's Retry-After: the minute's rest, rounded up.
    expect((await flooder.agent.raw(`/interaction/${flooder.uid}/passkey/options`, { form: {} })).headers.get('retry-after')).toBe('60');
    const pupil = await login();
    expect(await passkeyOptions(pupil)).toBe(200);
    const card = await pupil.agent.go(`/interaction/${pupil.uid}/eid`);
    expect([card.status, text(card.html)]).toEqual([200, expect.stringContaining('Log in with your eID card')]);
  });
});

describe('flows read without their cookie, over HTTP', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', RATE_LIMIT_FLOWS: '100', TRUST_PROXY: 'true' });
  });
  afterAll(() => idp?.close());

  const readElsewhere = (flow: string, address: string) =>
    fetch(`${idp.issuer}/registration/sent?flow=${flow}`, { headers: { 'accept-language': 'en', 'x-forwarded-for': address } });

  it('audits a few readings an hour per address, each with the address, and still the victim opening a link her attacker read first', async () => {
    const flows = [];
    for (let i = 0; i < 15; i++) {
      const agent = new Agent(idp.issuer);
      agent.headers['x-forwarded-for'] = '198.51.100.5';
      flows.push(/name="flow" value="([^"]+)"/.exec((await agent.get('/registration/open')).html)![1]!);
    }
    // An attack pass wrote a row per request this way (480 in ten seconds from one client), each kept a year.
    // The page is the generic "check your mail", without the flow's data.
    for (const flow of [...flows, ...flows]) expect((await readElsewhere(flow, '198.51.100.5')).status).toBe(200);
    const rows = () => idp.db('audit_log').where({ event: 'flow.opened_elsewhere' }).select('ip');
    expect(await rows()).toEqual(Array(10).fill({ ip: '198.51.100.5' }));
    expect(await idp.db('audit_log').where({ event: 'flow.opened_elsewhere_unaudited' }).select('ip')).toEqual([{ ip: '198.51.100.5' }]);
    expect((await readElsewhere(flows[0]!, '203.0.113.7')).status).toBe(200);
    expect((await rows()).filter((r: { ip: string }) => r.ip === '203.0.113.7')).toHaveLength(1);
  });
});
