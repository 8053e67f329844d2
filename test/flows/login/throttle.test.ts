// The login throttle as an attacker meets it, over HTTP against a running provider:
// - parallel guesses cannot wait out their delays side by side: past the threshold one is checked at a time and the
//   others are refused ("try again in N seconds"), so N guesses cost at least the sum of their delays;
// - the delays are earned by the identifier as typed: a known and an unknown name are slowed alike, and failures
//   under a username do not slow its e-mail address (which would tell whose address it is);
// - a browser that has logged in to the account before (its device cookie) is not slowed by others' failures; an
//   unknown browser is, even with the right password. Nobody is locked out.
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, formSummary, text } from '../account/agent.ts';
import { RESET_PURPOSE } from '../../../provider/domain/accounts/reset-link.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { delayAfter, keyOf } from '../../../provider/domain/guards/throttle.ts';

const PASSWORD = 'a long enough password';

/** A login page of `agent` (a new interaction); the returned function posts it and times the answer. */
async function loginForm(agent: Agent) {
  const page = await agent.get('/self/login?return_to=%2Faccount');
  const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
  return async (identifier: string, password: string) => {
    const started = performance.now();
    const res = await agent.raw(action, { form: { identifier, password } });
    const ms = performance.now() - started;
    const alert = formSummary(await res.text());
    return { status: res.status, ms, alert };
  };
}

describe('login throttle', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { RATE_LIMIT_LOGIN: '2', RATE_LIMIT_MAX_DELAY: '8' });
    const { db, users, hasher } = idp.services;
    for (const name of ['burst', 'lina', 'owner']) {
      await users.create(db, { username: `${name}.peeters`, email: `${name}@example.be`, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    }
  });
  afterAll(() => idp?.close());

  it('checks 30 parallel guesses no faster than one after the other', async () => {
    for (const name of ['burst.peeters', 'nobody.at.all']) {
      const post = await loginForm(new Agent(idp.url));
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(name, `wrong ${i}`)));
      const elapsed = performance.now() - started;
      const checked = answers.filter((a) => a.status === 401);
      const refused = answers.filter((a) => a.status === 429);
      expect(checked.length + refused.length).toBe(30);
      for (const a of checked) expect(a.alert).toContain('is not correct');
      for (const a of refused) expect(a.alert).toMatch(/^Too many attempts at once\. Try again in (1 second|\d+ seconds)\.$/);
      // What the checked guesses would have cost one after the other.
      const sequential = checked.reduce((sum, _a, k) => sum + delayAfter(k, 2, 8000), 0);
      expect(elapsed).toBeGreaterThanOrEqual(sequential);
      expect(refused.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('slows a known and an unknown name alike, and not the address of a username that was guessed', async () => {
    const run = async (username: string, email: string) => {
      const post = await loginForm(new Agent(idp.url));
      const byName = [];
      for (let i = 0; i < 4; i++) byName.push(await post(username, `wrong ${i}`));
      const byAddress = await post(email, 'wrong');
      return { byName, byAddress };
    };
    const [known, unknown] = await Promise.all([run('lina.peeters', 'lina@example.be'), run('nobody.else', 'nobody@example.be')]);
    for (const r of [known, unknown]) {
      for (const a of [...r.byName, r.byAddress]) expect([a.status, a.alert]).toEqual([401, known.byName[0]!.alert]);
      // 2 failures are free, then 1 s, 2 s: the fourth guess under the name waited 2 s…
      expect(r.byName[3]!.ms).toBeGreaterThanOrEqual(2000);
      // …while the address, counted on its own, is not slowed (it would wait 4 s if counted with the name's account).
      expect(r.byAddress.ms).toBeLessThan(3000);
    }
  }, 60_000);

  it("does not slow the owner's known browser for others' failures, but does slow an unknown one", async () => {
    const ownBrowser = new Agent(idp.url);
    expect((await (await loginForm(ownBrowser))('owner.peeters', PASSWORD)).status).toBe(303);
    expect(ownBrowser.jar.has('device')).toBe(true);

    const attacker = await loginForm(new Agent(idp.url));
    for (let i = 0; i < 5; i++) expect((await attacker('owner.peeters', `guess ${i}`)).status).toBe(401);
    // The attacker's next guess waits 8 s (the cap); the owner on her own browser does not.
    const again = new Agent(idp.url);
    for (const name of ['device', 'device.sig']) again.jar.set(name, ownBrowser.jar.get(name)!);
    const owner = await (await loginForm(again))('owner.peeters', PASSWORD);
    expect(owner.status).toBe(303);
    expect(owner.ms).toBeLessThan(4000);

    // On a browser the account has never used, the right password waits like any other attempt (and gets in).
    const elsewhere = await (await loginForm(new Agent(idp.url)))('owner.peeters', PASSWORD);
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.ms).toBeGreaterThanOrEqual(8000);
  }, 90_000);
});

describe('login throttle under a guessing stream', () => {
  let idp: TestProvider;
  let streamed: User;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { RATE_LIMIT_LOGIN: '2', RATE_LIMIT_MAX_DELAY: '2', TRUST_PROXY: 'true' });
    const { db, users, hasher } = idp.services;
    streamed = await users.create(db, {
      username: 'streamed.peeters',
      email: 'streamed@example.be',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    for (const name of ['stolen', 'changed', 'raced', 'resumed', 'checked'])
      await users.create(db, { username: `${name}.peeters`, email: `${name}@example.be`, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    // A hash of older parameters (two passes; the provider's are one): its next login upgrades it.
    await users.create(db, {
      username: 'upgraded.peeters',
      email: 'upgraded@example.be',
      passwordHash: await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 8192, timeCost: 2, parallelism: 1 }),
      status: 'active',
    });
  });
  afterAll(() => idp?.close());

  /** A new browser at `address` (through TRUST_PROXY). */
  const browserAt = (address: string) => {
    const agent = new Agent(idp.url);
    agent.headers['x-forwarded-for'] = address;
    return agent;
  };

  /** Four failures for `username` from an address of their own: the name's next attempt waits the cap (2 s). */
  const earnDelay = async (username: string) => {
    const post = await loginForm(browserAt('198.51.100.77'));
    for (let i = 0; i < 4; i++) expect((await post(username, `wrong ${i}`)).status).toBe(401);
  };

  /** A new password chosen in `browser` through the mailed link (issued here as the recovery mail would). */
  const resetIn = async (browser: Agent, user: Pick<User, 'id'>, password: string) => {
    const { token } = await idp.services.tokens.issue(idp.services.db, { purpose: RESET_PURPOSE, userId: user.id, ttlSeconds: 900, format: { kind: 'link' } });
    await browser.get(`/recovery/reset?token=${token}`);
    const done = await browser.post('/recovery/reset', { token, password, confirm: password });
    expect(text(/<h1>([\s\S]*?)<\/h1>/.exec(done.html)![1]!)).toBe('Your password has been changed');
  };

  it('no longer counts on its own a browser that logged in before the owner chose a new password', async () => {
    const stolen = (await idp.services.users.findByIdentifier(idp.services.db, 'stolen.peeters', 'username'))[0]!;
    // Someone logs in with the stolen password: his browser becomes a known device of the account.
    const thief = browserAt('192.0.2.50');
    expect((await (await loginForm(thief))('stolen.peeters', PASSWORD)).status).toBe(303);
    await resetIn(browserAt('203.0.113.11'), stolen, 'the owner has a new password');
    await earnDelay('stolen.peeters');
    // His browser is now as unknown as any other: its guess waits the delay others earned for the name.
    const guess = await (await loginForm(thief))('stolen.peeters', PASSWORD);
    expect([guess.status, guess.ms >= 1900]).toEqual([401, true]);
  }, 60_000);

  it('keeps the browser a person changes her password from a known one', async () => {
    const own = browserAt('203.0.113.12');
    expect((await own.login('changed.peeters', PASSWORD)).url).toMatch(/\/account$/);
    const NEW = 'my next long enough passphrase';
    const changed = await own.post('/account/password', { current: PASSWORD, password: NEW, password_confirm: NEW });
    expect(changed.html).toContain('Your password has been changed');
    await earnDelay('changed.peeters');
    // The same browser once its session is over: its device cookie, no session.
    const later = browserAt('203.0.113.12');
    for (const name of ['device', 'device.sig']) later.jar.set(name, own.jar.get(name)!);
    const login = await (await loginForm(later))('changed.peeters', NEW);
    expect([login.status, login.ms < 1500]).toEqual([303, true]);
  }, 60_000);

  it('checks a login that waited its delay against the password as it is after the wait', async () => {
    const owner = browserAt('203.0.113.13');
    expect((await owner.login('raced.peeters', PASSWORD)).url).toMatch(/\/account$/);
    await earnDelay('raced.peeters');
    // Someone with the old password starts a login, which waits the delay (2 s)…
    const post = await loginForm(browserAt('192.0.2.60'));
    const guess = post('raced.peeters', PASSWORD);
    await new Promise((r) => setTimeout(r, 300));
    // …while the owner chooses a new password.
    const NEW = 'my next long enough passphrase';
    expect((await owner.post('/account/password', { current: PASSWORD, password: NEW, password_confirm: NEW })).html).toContain(
      'Your password has been changed',
    );
    // Checked after the wait against the new one (before: the old password, read before the wait, got in).
    expect((await guess).status).toBe(401);
  }, 60_000);

  it('starts no session for a login resumed after the owner chose a new password', async () => {
    const resumed = (await idp.services.users.findByIdentifier(idp.services.db, 'resumed.peeters', 'username'))[0]!;
    const thief = browserAt('192.0.2.61');
    const page = await thief.get('/self/login?return_to=%2Faccount');
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
    const posted = await thief.raw(action, { form: { identifier: 'resumed.peeters', password: PASSWORD } });
    expect(posted.status).toBe(303);
    // He keeps the redirect back to the app for later; meanwhile the owner resets her password.
    await resetIn(browserAt('203.0.113.14'), resumed, 'the owner chose another one');
    const later = await thief.go(posted.headers.get('location')!);
    expect([later.status < 500, later.url.endsWith('/account')]).toEqual([true, false]);
    // No session: the account pages send him to a login (before: his session from the old password).
    expect((await thief.get('/account')).html).toContain('name="password"');
  }, 60_000);

  /**
   * Holds the verification of `password` (the real argon2id one, once let go) until the returned `release`, and
   * resolves `checking` once a login has read its account and is verifying.
   */
  const holdVerification = (password: string) => {
    const { hasher } = idp.services;
    const verify = hasher.verify;
    let release!: () => void;
    let entered!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const checking = new Promise<void>((r) => (entered = r));
    hasher.verify = async (hash, typed) => {
      if (typed === password) {
        entered();
        await held;
      }
      return verify(hash, typed);
    };
    return {
      checking,
      release: () => {
        hasher.verify = verify;
        release();
      },
    };
  };

  it('starts no session for a password that was being checked when the owner chose a new one', async () => {
    const checked = (await idp.services.users.findByIdentifier(idp.services.db, 'checked.peeters', 'username'))[0]!;
    const thief = browserAt('192.0.2.62');
    const page = await thief.get('/self/login?return_to=%2Faccount');
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
    const hold = holdVerification(PASSWORD);
    try {
      const post = thief.raw(action, { form: { identifier: 'checked.peeters', password: PASSWORD } });
      await hold.checking;
      await resetIn(browserAt('203.0.113.15'), checked, 'the owner chose another one');
      hold.release();
      const posted = await post;
      expect(posted.status).toBe(303);
      // The old password was right when it was read, but its login is not kept: following it starts no session
      // (before: the account page).
      expect((await thief.go(posted.headers.get('location')!)).url).not.toMatch(/\/account$/);
    } finally {
      hold.release();
    }
    expect((await thief.get('/account')).html).toContain('name="password"');
    expect((await browserAt('203.0.113.15').login('checked.peeters', 'the owner chose another one')).url).toMatch(/\/account$/);
    // The audit trail records the owner's login alone: the voided one made no session, and says it made none
    // (before: a login.success from the thief's address, with no session behind it).
    const logins = await idp.db('audit_log').where({ event: 'login.success', user_id: checked.id }).orderBy('id').pluck('ip');
    expect(logins).toEqual(['203.0.113.15']);
  }, 60_000);

  it("does not put back the old password's hash when its login upgrades it while the owner chooses a new one", async () => {
    const upgraded = (await idp.services.users.findByIdentifier(idp.services.db, 'upgraded.peeters', 'username'))[0]!;
    const hold = holdVerification(PASSWORD);
    try {
      const post = (await loginForm(browserAt('192.0.2.63')))('upgraded.peeters', PASSWORD);
      await hold.checking;
      await resetIn(browserAt('203.0.113.16'), upgraded, 'the owner chose another one');
      hold.release();
      await post;
    } finally {
      hold.release();
    }
    // The owner's new password is the one that works (before: the upgrade wrote the old one's hash over it).
    expect((await browserAt('203.0.113.16').login('upgraded.peeters', 'the owner chose another one')).url).toMatch(/\/account$/);
    expect((await (await loginForm(browserAt('203.0.113.17')))('upgraded.peeters', PASSWORD)).status).toBe(401);
  }, 60_000);

  it("lets the owner's new browser in after the delay while four others guess without pause from one address", async () => {
    let guessing = true;
    const guesses: number[] = [];
    const streams = Array.from({ length: 4 }, async () => {
      const post = await loginForm(browserAt('198.51.100.66'));
      for (let i = 0; guessing; i++) {
        guesses.push((await post('streamed.peeters', `wrong ${i}`)).status);
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    try {
      // The stream has earned its delays (two failures free, then 1 s, 2 s).
      await vi.waitFor(() => expect(guesses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(4), { timeout: 20_000, interval: 100 });
      const owner = await loginForm(browserAt('203.0.113.9'));
      const answers = [];
      // As a person would: told to try again in N seconds, she does, three times at most.
      for (let tries = 0; tries < 3; tries++) {
        const answer = await owner('streamed.peeters', PASSWORD);
        answers.push(answer);
        if (answer.status !== 429) break;
        await new Promise((r) => setTimeout(r, Number(/in (\d+) second/.exec(answer.alert)![1]) * 1000));
      }
      expect(answers.map((a) => a.status)).toEqual([303]);
      // Meanwhile the guesses went on, and were refused while checked ones waited.
      expect(guesses).toContain(429);
    } finally {
      guessing = false;
      await Promise.all(streams);
    }
  }, 60_000);

  it('lets the owner in at once from the browser where she chose a new password, while others guess from ever new addresses', async () => {
    let guessing = true;
    let next = 1;
    const checked: number[] = [];
    // Each guess from an address of its own: every one may take the name's second place, so both are nearly always taken.
    const streams = Array.from({ length: 4 }, async () => {
      const agent = new Agent(idp.url);
      const post = await loginForm(agent);
      while (guessing) {
        agent.headers['x-forwarded-for'] = `198.51.${100 + (next >> 8)}.${next++ & 255}`;
        const { status } = await post('streamed.peeters', `wrong ${next}`);
        if (status === 401) checked.push(status);
      }
    });
    try {
      await vi.waitFor(() => expect(checked.length).toBeGreaterThanOrEqual(4), { timeout: 20_000, interval: 100 });
      // A new password, chosen in her own browser through the mailed link.
      const owner = browserAt('203.0.113.10');
      const NEW = 'another long enough password';
      await resetIn(owner, streamed, NEW);
      const login = await (await loginForm(owner))('streamed.peeters', NEW);
      // Checked at once, past the guesses' delays (2 s each) and without "try again".
      expect([login.status, login.ms < 1500]).toEqual([303, true]);
    } finally {
      guessing = false;
      await Promise.all(streams);
    }
  }, 60_000);
});

describe('login throttle under a parallel attack on PostgreSQL', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('postgres', { RATE_LIMIT_LOGIN: '2', RATE_LIMIT_MAX_DELAY: '8' });
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'target.peeters', email: 'target@example.be', passwordHash: await hasher.hash(PASSWORD), status: 'active' });
  });
  afterAll(() => idp?.close());

  it("counts each of 30 parallel wrong passwords it checked, refuses the rest, and lets the owner's browser in at once", async () => {
    const own = new Agent(idp.url);
    expect((await (await loginForm(own))('target.peeters', PASSWORD)).status).toBe(303);
    const attacker = await loginForm(new Agent(idp.url));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => attacker('target.peeters', `wrong ${i}`)));
    const checked = answers.filter((a) => a.status === 401).length;
    expect(answers.filter((a) => a.status !== 401 && a.status !== 429).map((a) => `${a.status} ${a.alert}`)).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(3);
    // Exactly the checked guesses count: the refused ones were taken back, none was lost to a race.
    const count = async (key: string) => (await idp.services.db('rate_limits').where({ key }).first('points'))?.points as number | undefined;
    expect(await count(`login_subject:${keyOf('identifier:target.peeters')}`)).toBe(checked);
    expect(await count(`login_ip:${keyOf('127.0.0.1')}`)).toBe(checked);
    // Nothing is left held once the answers are out.
    expect(Number((await idp.services.db('rate_limits').whereLike('key', 'login_in_flight:%').count({ n: '*' }).first())!.n)).toBe(0);

    const again = new Agent(idp.url);
    for (const name of ['device', 'device.sig']) again.jar.set(name, own.jar.get(name)!);
    const owner = await (await loginForm(again))('target.peeters', PASSWORD);
    expect(owner.status).toBe(303);
    expect(owner.ms).toBeLessThan(2000);
    // An unknown browser with the right password waits the delay the guesses earned, and gets in.
    const elsewhere = await (await loginForm(new Agent(idp.url)))('target.peeters', PASSWORD);
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.ms).toBeGreaterThanOrEqual(delayAfter(checked, 2, 8000) - 50);
  }, 120_000);
});
