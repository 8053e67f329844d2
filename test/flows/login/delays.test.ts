// Growing delays instead of lockouts: the counters live in the database, so failures on one process slow the next
// attempt on another; an unknown name is slowed exactly like a known one; the owner hears of it once; the right
// password still gets in.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';
import { spawnProvider, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { clientAddressKey, createThrottle, delayAfter } from '../../../provider/domain/guards/throttle.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { formSummary } from '../account/agent.ts';

describe('the throttle', () => {
  let db: Db;
  const waited: number[] = [];
  beforeAll(async () => ({ db } = await testDb('pglite')));
  afterAll(() => db?.destroy());

  it('doubles the delay past the threshold, up to the cap', () => {
    expect([2, 3, 4, 5, 6, 7, 40].map((f) => delayAfter(f, 3, 5000))).toEqual([0, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('counts per subject and per IP, warns once per window, and forgets a subject on success', async () => {
    const t = createThrottle(db, { name: 'unit', perSubject: 2, perIp: 3, maxDelaySeconds: 8, wait: async (ms) => waited.push(ms) });
    const reached = [];
    for (let i = 0; i < 3; i++) reached.push((await (await t.begin({ subject: 'account:a', ip: '192.0.2.1' })).failed()).thresholdReached);
    expect(reached).toEqual([false, true, false]);
    expect(waited).toEqual([1000]);
    expect(await t.delayMs({ subject: 'account:a' })).toBe(2000);
    // Another subject from the same address: the IP's three failures earn it a delay of its own.
    expect(await t.delayMs({ subject: 'account:b', ip: '192.0.2.1' })).toBe(1000);
    expect(await t.delayMs({ subject: 'account:b', ip: '192.0.2.2' })).toBe(0);
    const guarded = await t.guard(
      { subject: 'account:a', ip: '192.0.2.9' },
      async () => 'right',
      (r) => r === 'right',
    );
    expect(guarded).toEqual({ result: 'right', thresholdReached: false });
    expect(waited).toEqual([1000, 2000]);
    expect(await t.delayMs({ subject: 'account:a' })).toBe(0);
    // The right secret does not count against the address it came from.
    expect(await t.delayMs({ ip: '192.0.2.9' })).toBe(0);
    // Identifiers are stored hashed.
    expect(JSON.stringify(await db('rate_limits').select('key'))).not.toContain('account:');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', async () => {
    expect(['2001:db8:1:2::7', '2001:0db8:0001:0002:ffff:1:2:3', '2001:db8:1:2:a::1%eth0'].map(clientAddressKey)).toEqual(Array(3).fill('2001:db8:1:2::/64'));
    expect(['::1', '::ffff:192.0.2.1', '192.0.2.1', '64:ff9b::192.0.2.1'].map(clientAddressKey)).toEqual([
      '0:0:0:0::/64',
      '192.0.2.1',
      '192.0.2.1',
      '64:ff9b:0:0::/64',
    ]);
    const t = createThrottle(db, { name: 'v6', perSubject: 1000, perIp: 3, maxDelaySeconds: 8, wait: async () => {} });
    for (let i = 1; i <= 4; i++) await (await t.begin({ subject: `account:v6-${i}`, ip: `2001:db8:1:2::${i.toString(16)}` })).failed();
    expect(await t.delayMs({ ip: '2001:db8:1:2:ffff::9' })).toBe(2000);
    expect(await t.delayMs({ ip: '2001:db8:1:3::1' })).toBe(0);
  });

  it('checks parallel guesses one at a time once delays have started: the others are refused uncounted, with the wait', async () => {
    const delays: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The attempt that holds the subject waits at this gate until every other one has had its answer.
    const t = createThrottle(db, { name: 'burst', perSubject: 3, perIp: 1000, maxDelaySeconds: 64, wait: (ms) => (delays.push(ms), gate) });
    let settled = 0;
    const attempts = Array.from({ length: 8 }, () =>
      t.begin({ subject: 'account:burst', ip: '198.51.100.7' }).then(
        async (a) => (settled++, await a.failed(), 'checked'),
        (e: { code: string; status: number; params: { seconds: number } }) => (settled++, `${e.status} ${e.code} ${e.params.seconds > 0}`),
      ),
    );
    await vi.waitFor(() => expect(settled).toBe(7), { timeout: 20_000 });
    open();
    const outcomes = await Promise.all(attempts);
    // Three below the threshold, one holding the subject through its delay, four refused.
    expect(outcomes.sort()).toEqual([
      '429 try_again true',
      '429 try_again true',
      '429 try_again true',
      '429 try_again true',
      'checked',
      'checked',
      'checked',
      'checked',
    ]);
    expect(delays).toHaveLength(1);
    // The refused ones were not counted: the next attempt owes what the fifth guess owed.
    expect(await t.delayMs({ subject: 'account:burst' })).toBe(2000);
  });

  it("keeps a second place for an address that has not failed the subject: a guesser's stream cannot keep the owner out", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const t = createThrottle(db, { name: 'lanes', perSubject: 2, perIp: 1000, maxDelaySeconds: 64, wait: () => gate });
    const guesser = { subject: 'account:lanes', ip: '198.51.100.66' };
    for (let i = 0; i < 2; i++) await (await t.begin(guesser)).failed();
    // The guesser's third attempt owes a delay and holds the subject while it waits.
    const holding = t.begin(guesser);
    await vi.waitFor(async () => expect(await db('rate_limits').count({ n: '*' }).whereLike('key', 'lanes_in_flight:%').first()).toEqual({ n: 1 }));
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'checked',
        (e: { code: string }) => e.code,
      );
    // Its next one is refused, as before; so is an address of its that has failed twice, even while the second place is free.
    expect(await refused(t.begin(guesser))).toBe('try_again');
    // The owner, from an address that has not failed this subject, is not refused: it takes the second place and waits.
    const owner = t.begin({ subject: 'account:lanes', ip: '203.0.113.5' });
    await vi.waitFor(async () => expect(await db('rate_limits').count({ n: '*' }).whereLike('key', 'lanes_in_flight:%').first()).toEqual({ n: 2 }));
    // A third address meanwhile finds both places taken.
    expect(await refused(t.begin({ subject: 'account:lanes', ip: '203.0.113.6' }))).toBe('try_again');
    open();
    await (await holding).failed();
    await (await owner).succeeded();
    expect(await t.delayMs({ subject: 'account:lanes' })).toBe(0);
    expect(await db('rate_limits').count({ n: '*' }).whereLike('key', 'lanes_in_flight:%').first()).toEqual({ n: 0 });
  });

  it('gives the second place only to an address with fewer failures of the subject than the threshold', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let gated = false;
    const t = createThrottle(db, { name: 'lanes2', perSubject: 2, perIp: 1000, maxDelaySeconds: 64, wait: async () => (gated ? gate : undefined) });
    // Two addresses fail the subject twice each: four failures, so every later attempt owes a delay.
    for (const ip of ['198.51.100.1', '198.51.100.2']) for (let i = 0; i < 2; i++) await (await t.begin({ subject: 'account:x', ip })).failed();
    gated = true;
    const first = t.begin({ subject: 'account:x', ip: '198.51.100.1' });
    await vi.waitFor(async () => expect(await db('rate_limits').count({ n: '*' }).whereLike('key', 'lanes2_in_flight:%').first()).toEqual({ n: 1 }));
    const second = await t.begin({ subject: 'account:x', ip: '198.51.100.2' }).then(
      () => 'checked',
      (e: { code: string }) => e.code,
    );
    expect(second).toBe('try_again');
    open();
    await (await first).failed();
  });
});

describe.skipIf(!has('postgres'))('login throttling across two provider processes on PostgreSQL', () => {
  let a: TestProvider;
  let b: Awaited<ReturnType<typeof spawnProvider>>;
  let sink: SmtpSink;
  let clientId: string;
  const REDIRECT = 'http://127.0.0.1:9/cb';

  beforeAll(async () => {
    sink = await startSmtpSink();
    const env = { SMTP_URL: sink.url, OUTBOX_POLL_MS: '100', RATE_LIMIT_LOGIN: '3', RATE_LIMIT_MAX_DELAY: '4' };
    // One provider in this process, the other in its own, both on one database and behind one public issuer.
    a = await startTestProvider('postgres', env);
    b = await spawnProvider({ ...env, DATABASE_URL: a.databaseUrl!, ISSUER: a.issuer });
    const { db, users, hasher, provider } = a.services;
    clientId = (await createClient(provider(), { name: 'Portal', redirectUris: [REDIRECT], firstParty: true })).client_id;
    await users.create(db, { username: 'els.maes', email: 'els@example.be', passwordHash: await hasher.hash('a long enough password'), status: 'active' });
  });

  afterAll(async () => {
    await b?.stop();
    await a?.close();
    await sink?.stop();
  });

  /** A login page on `base` (its own cookies, as one browser); `attempt` posts the form and times the answer. */
  async function loginPage(base: string) {
    const jar = new Map<string, string>();
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keep = (r: Response) => {
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      return r;
    };
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    let res = keep(await fetch(`${base}/auth?${query}`, { redirect: 'manual' }));
    let url = `${base}/auth`;
    while (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, base).href;
      res = keep(await fetch(url, { redirect: 'manual', headers: { cookie: cookie() } }));
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    return async (identifier: string, password: string) => {
      const started = performance.now();
      const r = await fetch(`${url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie(), origin: base },
        body: new URLSearchParams({ _csrf: csrf, identifier, password }),
      });
      const ms = performance.now() - started;
      const alert = formSummary(await r.text());
      return { status: r.status, ms, alert };
    };
  }

  const warnings = () => sink.messages.filter((m) => m.subject === 'Attempts to log in to your account');

  it('slows the next attempt on the other process, the same for an unknown name, warns the owner once, and lets the right password in', async () => {
    const onA = await loginPage(a.issuer);
    const onB = await loginPage(b.url);

    const known = [await onA('els.maes', 'wrong 1'), await onA('els.maes', 'wrong 2'), await onA('els.maes', 'wrong 3')];
    const warning = await sink.waitFor((m) => m.subject === 'Attempts to log in to your account');
    expect(warning.to).toEqual(['els@example.be']);
    expect(warning.text).toContain('Someone tried 3 times within a short time to log in as els.maes');

    const fourth = await onB('els.maes', 'wrong 4');
    const fifth = await onB('els.maes', 'wrong 5');
    expect(fourth.ms).toBeGreaterThanOrEqual(1000);
    expect(fifth.ms).toBeGreaterThanOrEqual(2000);
    for (const r of [...known, fourth, fifth]) expect({ status: r.status, alert: r.alert }).toEqual({ status: 401, alert: known[0]!.alert });
    expect(known[0]!.alert).toContain('is not correct');

    // A name with no account: the same answers and the same delays.
    const unknown = [await onB('nobody.here', 'x'), await onB('nobody.here', 'x'), await onB('nobody.here', 'x'), await onA('nobody.here', 'x')];
    expect(unknown[3]!.ms).toBeGreaterThanOrEqual(1000);
    for (const r of unknown) expect({ status: r.status, alert: r.alert }).toEqual({ status: 401, alert: known[0]!.alert });

    // No lockout: the owner still gets in, after the delay earned so far (capped at 4 s), and the count starts
    // over (without that, the next attempt would wait the 4 s again; an undelayed one takes well under 3 s even
    // on a loaded machine).
    const owner = await onA('els.maes', 'a long enough password');
    expect(owner.status).toBe(303);
    expect(owner.ms).toBeGreaterThanOrEqual(4000);
    expect((await (await loginPage(b.url))('els.maes', 'wrong again')).ms).toBeLessThan(3000);
    expect(warnings()).toHaveLength(1);
  }, 60_000);
});
