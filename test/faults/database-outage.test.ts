// PostgreSQL stopped (immediate shutdown: every connection dies, mid-transaction or not) and started again under a
// load that writes: the provider answers 503 at once with a page that says what to do (never a 500 or a stack
// trace), recovers by itself without a restart, and leaves nothing half-written. A sign-up writes its flow, the
// pending account, the activation link, the activation mail in the outbox, the two consents and an audit line in
// one transaction; a client-credentials grant writes its token. The server is the test's own, so that stopping it
// does not disturb the suites using the shared one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { has } from '../helpers/components.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { waitUntil } from '../helpers/wait.ts';
import { createDb, type Db } from '../../provider/platform/db/knex.ts';
import { migrate } from '../../provider/platform/db/migrate.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const PASSWORD = 'correct horse battery staple';
const CLEAR_PAGE = 'Try again in a minute';
const SIGN_UP_LOOPS = 2;

interface TokenAnswer {
  status: number;
  ms: number;
  accessToken?: string;
  error?: string;
  retryAfter: string | null;
}

interface SignUpAnswer {
  email: string;
  /** Of the form page when it failed, else of sending the form. */
  status: number;
  /** The registration flow the form page started, when it could. */
  flow?: string;
  /** Sent to this flow's "check your e-mail" page: the person saw the sign-up succeed. */
  signedUp: boolean;
  /** For a 503: whether the page says what to do and shows no stack trace. */
  clearPage: boolean;
}

const isClearPage = (html: string) => html.includes(CLEAR_PAGE) && !/at .*\.ts:\d+|Error:/.test(html);

describe.skipIf(!has('postgres'))('database outage', () => {
  let server: PrivatePostgres | undefined;
  let db: Db | undefined;
  let idp: TestProvider;
  let machine: { client_id: string; client_secret?: string };

  beforeAll(async () => {
    server = await startPrivatePostgres();
    db = createDb({ databaseUrl: server.url, dataDir: 'memory://' });
    await migrate(db, server.url);
    // Each sign-up comes from its own address (X-Forwarded-For), below the per-address sign-up limit.
    idp = await startTestProvider('postgres', { TRUST_PROXY: 'true', CAPTCHA: 'off' }, { db, databaseUrl: server.url });
    machine = await createClient(idp.services.provider(), { name: 'Machine', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
  });

  afterAll(async () => {
    // The server first: a test that failed half-way may leave requests waiting for it.
    try {
      await server?.destroy();
    } finally {
      await idp?.close();
      await db?.destroy();
    }
  });

  let slowestMs = 0;
  /** One request and its whole answer, timed: every request under load must fail (or succeed) fast. */
  async function timed(path: string, init: RequestInit = {}) {
    const t = performance.now();
    const res = await fetch(`${idp.issuer}${path}`, { redirect: 'manual', ...init });
    const body = await res.text();
    const ms = performance.now() - t;
    slowestMs = Math.max(slowestMs, ms);
    return { status: res.status, headers: res.headers, body, ms };
  }

  async function token(): Promise<TokenAnswer> {
    const res = await timed('/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const body = JSON.parse(res.body) as { access_token?: string; error?: string };
    return { status: res.status, ms: res.ms, accessToken: body.access_token, error: body.error, retryAfter: res.headers.get('retry-after') };
  }

  let people = 0;
  /** The open sign-up form as a browser gets it (a new flow and the CSRF cookie), filled in by a new person. */
  async function openForm() {
    const n = people++;
    const email = `person${n}@example.be`;
    const headers = { accept: 'text/html', 'accept-language': 'en', 'x-forwarded-for': `10.0.${n >> 8}.${n & 255}` };
    const page = await timed('/registration/open', { headers });
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.body)?.[1];
    const flow = page.status === 200 ? field('flow') : undefined;
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const form = {
      _csrf: field('_csrf') ?? '',
      flow: flow ?? '',
      email,
      given_name: 'Ann',
      family_name: 'De Wit',
      password: PASSWORD,
      accept_terms: 'yes',
      accept_privacy: 'yes',
    };
    return {
      email,
      flow,
      failed: { email, status: page.status, signedUp: false, clearPage: isClearPage(page.body) } satisfies SignUpAnswer,
      /** Sends the form; again after a failure, as a person would. */
      async send(): Promise<SignUpAnswer> {
        const res = await timed('/registration/open', {
          method: 'POST',
          headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form),
        });
        const signedUp = res.status === 303 && res.headers.get('location') === `/registration/sent?flow=${flow}`;
        return { email, flow, status: res.status, signedUp, clearPage: isClearPage(res.body) };
      },
    };
  }

  async function signUp(): Promise<SignUpAnswer> {
    const form = await openForm();
    return form.flow ? form.send() : form.failed;
  }

  /** Until `n` sign-up transactions wait for the lock on the audit log. */
  async function waitForBlockedSignUps(client: pg.Client, n: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from pg_locks where relation = 'audit_log'::regclass and not granted`);
      if (rows[0]!.n >= n) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.n} of ${n} sign-ups wait for the audit log`);
      await setTimeout(10);
    }
  }

  it('fails fast with 503 and a clear page while PostgreSQL is down, recovers without a restart, and writes nothing by halves', async () => {
    expect((await token()).status).toBe(200);
    expect((await signUp()).signedUp).toBe(true);

    const tokens: TokenAnswer[] = [];
    const signUps: SignUpAnswer[] = [];
    let running = true;
    const loops = [
      ...Array.from({ length: 3 }, async () => {
        while (running) tokens.push(await token());
      }),
      ...Array.from({ length: SIGN_UP_LOOPS }, async () => {
        while (running) signUps.push(await signUp());
      }),
    ];
    // A person who opened the form before the outage, sends it as it begins, and again afterwards.
    const held = await openForm();
    expect(held.flow).toBeDefined();
    let heldAnswer: Promise<SignUpAnswer> | undefined;
    const locker = new pg.Client(server!.url);
    locker.on('error', () => {}); // it dies with the server
    await locker.connect();
    try {
      await waitUntil(
        () => (signUps.filter((a) => a.signedUp).length >= 2 && tokens.length >= 10) || undefined,
        15_000,
        'sign-ups and tokens before the outage',
      );

      // A sign-up's last write, its audit line, waits behind a lock: the sign-ups under way (the two loops' and the
      // held one) have written their flow, account, link, mail and consents when the server dies under them.
      await locker.query('begin');
      await locker.query('lock table audit_log in exclusive mode');
      heldAnswer = held.send();
      await waitForBlockedSignUps(locker, SIGN_UP_LOOPS + 1);
      await server!.stop('immediate');
      const outageFrom = { tokens: tokens.length, signUps: signUps.length };
      expect(await heldAnswer).toMatchObject({ status: 503, clearPage: true });

      const during = await token();
      expect(during).toMatchObject({ status: 503, error: 'temporarily_unavailable', retryAfter: '30' });
      expect(during.ms).toBeLessThan(3000);
      // Alive, so that the orchestrator does not restart it; not ready, so that it sends no traffic.
      expect((await timed('/healthz')).status).toBe(200);
      expect((await timed('/readyz')).status).toBe(503);
      const authorize = await timed('/auth?client_id=x&response_type=code&scope=openid&redirect_uri=https://x.invalid/', { headers: { accept: 'text/html' } });
      expect(authorize.status).toBe(503);
      expect(isClearPage(authorize.body)).toBe(true);
      // The load meets the outage too, on both paths.
      await waitUntil(
        () => (tokens.slice(outageFrom.tokens).some((a) => a.status === 503) && signUps.slice(outageFrom.signUps).some((a) => a.status === 503)) || undefined,
        10_000,
        'the load to meet the outage',
      );

      await server!.start();
      const restartedAt = { tokens: tokens.length, signUps: signUps.length };
      await waitUntil(
        () =>
          (tokens.slice(restartedAt.tokens).some((a) => a.status === 200) && signUps.slice(restartedAt.signUps).filter((a) => a.signedUp).length >= 2) ||
          undefined,
        15_000,
        'tokens and sign-ups again after the restart',
      );
      expect((await timed('/readyz')).status).toBe(200);
    } finally {
      running = false;
      // The lock goes first, or what waits for it never ends.
      await locker.end().catch(() => {});
      await Promise.all([...loops, heldAnswer]);
    }
    // Killed half-way, the held sign-up left nothing, not even its flow's step, so its form works when sent again.
    expect(await idp.db('users').where({ email: held.email }).first()).toBeUndefined();
    expect(await idp.db('self_service_flows').where({ id: held.flow }).first('state')).toEqual({ state: 'form' });
    const retried = await held.send();
    expect(retried.signedUp).toBe(true);
    signUps.push(retried);

    // Every answer was a success or a 503 with a clear page or JSON error, and none took long.
    expect(tokens.filter((a) => !(a.status === 200 || (a.status === 503 && a.error === 'temporarily_unavailable')))).toEqual([]);
    expect(signUps.filter((a) => !(a.signedUp || (a.status === 503 && a.clearPage)))).toEqual([]);
    expect(slowestMs).toBeLessThan(6000);

    // Nothing half-written: a sign-up the person saw succeed is whole, one that failed is absent. (None committed
    // with its answer lost: when the server died, every sign-up under way was waiting for the audit log.)
    const database = idp.db;
    const [users, links, mails, consents, audits, flows] = await Promise.all([
      database('users').select('id', 'email'),
      database('one_time_tokens').where({ purpose: 'registration_activation' }).select('user_id'),
      database('outbox').select('user_id', 'recipient'),
      database('consents').select('user_id'),
      database('audit_log').where({ event: 'registration.signed_up' }).select('user_id'),
      database('self_service_flows').select('id', 'state'),
    ]);
    const written = (a: SignUpAnswer) => {
      const id = users.find((u) => u.email === a.email)?.id;
      const of = (rows: { user_id: string | null }[]) => rows.filter((r) => id !== undefined && r.user_id === id).length;
      return {
        account: id !== undefined,
        link: of(links),
        mail: mails.filter((m) => m.recipient === a.email && (id === undefined || m.user_id === id)).length,
        consents: of(consents),
        audit: of(audits),
        flowSent: flows.some((f) => f.id === a.flow && f.state === 'sent'),
      };
    };
    const whole = JSON.stringify({ account: true, link: 1, mail: 1, consents: 2, audit: 1, flowSent: true });
    const absent = JSON.stringify({ account: false, link: 0, mail: 0, consents: 0, audit: 0, flowSent: false });
    const outcomes = signUps.map((a) => ({ email: a.email, signedUp: a.signedUp, written: JSON.stringify(written(a)) }));
    expect(outcomes.filter((o) => o.written !== (o.signedUp ? whole : absent))).toEqual([]);
    // No activation link or sign-up audit line of an account that is not there.
    const ids = new Set(users.map((u) => u.id));
    expect([...links, ...audits].filter((r) => !ids.has(r.user_id))).toEqual([]);

    // Every token a client received is stored.
    const issued = tokens.flatMap((a) => (a.status === 200 && a.accessToken ? [a.accessToken] : []));
    const stored = await database('oidc_models').where({ model: 'ClientCredentials' }).whereIn('id', issued).count<{ n: string }[]>({ n: '*' });
    expect(Number(stored[0]!.n)).toBe(issued.length);
  });
});
