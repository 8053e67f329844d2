// A passkey as the second step after a password, over HTTP with a software authenticator: the options name only the
// account's passkeys and require user verification; the ID token says acr urn:belid:acr:mfa and amr pwd+hwk; another
// account's passkey (also the first account's, when a second password was typed in the same login), a replayed
// answer and wrong answers are refused, the last ones throttled like wrong codes. A
// person with passkeys and no authenticator app is asked for one only when the app or the request requires two factors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { discover } from '../../helpers/rp.ts';
import { b64url, softAuthenticator } from '../../helpers/soft-authenticator.ts';
import { enrolOnAccount } from '../../helpers/totp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { browserBindingOf } from '../../../provider/domain/flow-state/binding.ts';
import { createPasskeyMethod } from '../../../provider/methods/passkey/webauthn.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { Agent, text, type Response } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const MFA = 'urn:belid:acr:mfa';
const MODEL = '00000000-0000-0000-0000-000000000000';

describe('a passkey as the second step of a password login', () => {
  let idp: TestProvider;
  let strict: client.Configuration;
  let open: client.Configuration;
  const keys: Record<string, ReturnType<typeof softAuthenticator>> = {};
  const users: Record<string, User> = {};

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { RATE_LIMIT_LOGIN: '3', RATE_LIMIT_MAX_DELAY: '1' });
    const { db, hasher, provider } = idp.services;
    const hash = await hasher.hash(PASSWORD);
    const passkeys = createPasskeyMethod(idp.services);
    const binding = browserBindingOf('t'.repeat(43));
    for (const username of ['anna', 'bert', 'carla', 'dirk', 'emil']) {
      const user = await idp.services.users.create(db, {
        username,
        email: `${username}@example.be`,
        emailVerified: true,
        passwordHash: hash,
        status: 'active',
      });
      users[username] = user;
      const key = softAuthenticator(MODEL, idp.issuer);
      const { flow, options } = await passkeys.registrationOptions(db, user, binding, 'en');
      await passkeys.register(db, user, { flowId: flow, binding, response: key.register(options.challenge), name: 'Laptop', locale: 'en' });
      keys[username] = key;
    }
    const s = await createClient(provider(), { name: 'Tax portal', redirectUris: [REDIRECT], firstParty: true, requireMfa: true });
    strict = await discover(idp.issuer, s.client_id, s.client_secret);
    const o = await createClient(provider(), { name: 'Library', redirectUris: [REDIRECT], firstParty: true });
    open = await discover(idp.issuer, o.client_id, o.client_secret);
  });
  afterAll(() => idp?.close());

  const atCallback = (l: string) => l.startsWith(REDIRECT);
  const title = (r: Response) => text(/<h1>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');
  const audited = (event: string, username: string) => idp.db('audit_log').where({ event, user_id: users[username]!.id }).orderBy('id').pluck('details');

  /** The app's login in `agent` up to the page after the password. */
  async function passwordStep(agent: Agent, config: client.Configuration, username: string, params: Record<string, string> = {}) {
    const { page, tokens } = await agent.startAuthorization(config, REDIRECT, 'openid', params);
    return { page: await agent.submitLogin(page, username, PASSWORD, atCallback), tokens };
  }

  /** What the page's script does: fetch the options of its passkey form. */
  async function options(agent: Agent, page: Response) {
    const path = /data-options="([^"]+)"/.exec(page.html)?.[1];
    if (!path) throw new Error(`no passkey on ${page.url}: ${title(page)}`);
    const res = await agent.raw(path, { form: {} });
    return {
      path: path.replace(/\/options$/, ''),
      ...((await res.json()) as { flow: string; options: { challenge: string; allowCredentials?: { id: string }[]; userVerification?: string } }),
    };
  }

  const answer = (agent: Agent, path: string, flow: string, response: unknown) =>
    agent.go(path, { form: { flow, response: JSON.stringify(response) } }, atCallback);

  it('asks a person with passkeys only for one when the app requires two factors, and gives acr mfa with amr pwd+hwk', async () => {
    const agent = new Agent(idp.issuer);
    const { page, tokens } = await passwordStep(agent, strict, 'anna');
    expect(new URL(page.url).pathname).toMatch(/\/second-factor$/);
    expect(title(page)).toBe('Confirm with a passkey');
    expect(text(page.html)).toContain('Use a passkey');
    const o = await options(agent, page);
    const [stored] = await idp.db('passkeys').where({ user_id: users.anna!.id }).pluck('credential_id');
    expect(o.options.allowCredentials?.map((c) => c.id)).toEqual([stored]);
    expect(o.options.userVerification).toBe('required');
    const done = await answer(agent, o.path, o.flow, keys.anna!.assert(o.options.challenge, b64url(users.anna!.id)));
    expect((await tokens(done)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'hwk'] });
    expect(await audited('second_factor.success', 'anna')).toEqual([{ kind: 'passkey' }]);
  });

  it('lets a person with passkeys only log in with the password alone where two factors are not required', async () => {
    const agent = new Agent(idp.issuer);
    const { page, tokens } = await passwordStep(agent, open, 'dirk');
    expect((await tokens(page)).claims()).toMatchObject({ acr: 'urn:belid:acr:password', amr: ['pwd'] });
    // Asked per request, the passkey step comes back.
    const again = await passwordStep(new Agent(idp.issuer), open, 'dirk', { acr_values: MFA });
    expect(title(again.page)).toBe('Confirm with a passkey');
  });

  it("refuses another account's passkey, and a replayed answer", async () => {
    const agent = new Agent(idp.issuer);
    let { page } = await passwordStep(agent, strict, 'bert');
    let o = await options(agent, page);
    const foreign = await answer(agent, o.path, o.flow, keys.carla!.assert(o.options.challenge, b64url(users.carla!.id)));
    expect(foreign.status).toBe(401);
    expect(text(foreign.html)).toContain('This passkey belongs to another account.');
    expect(await audited('second_factor.failure', 'bert')).toEqual([{ kind: 'passkey', reason: 'passkey_other_account' }]);

    o = await options(agent, foreign);
    const right = keys.bert!.assert(o.options.challenge, b64url(users.bert!.id));
    expect(atCallback((await answer(agent, o.path, o.flow, right)).url)).toBe(true);
    // The same answer in a new login of this browser: its challenge was spent.
    ({ page } = await passwordStep(agent, strict, 'bert', { prompt: 'login' }));
    const replay = await answer(agent, `${new URL(page.url).pathname}/passkey`, o.flow, right);
    expect(replay.status).toBe(409);
    expect(text(replay.html)).toContain('This passkey request is no longer valid.');
  });

  it("refuses the passkey of the first account whose password was typed in a login, at a second account's second step", async () => {
    // Found by an attack pass: options made for dirk's account, then emil's password (known to dirk) typed in the same
    // login, and dirk's own passkey passed as emil's second step.
    const agent = new Agent(idp.issuer);
    const { page } = await passwordStep(agent, strict, 'dirk');
    const o = await options(agent, page);
    const uid = /\/interaction\/([^/]+)/.exec(page.url)![1]!;
    const victim = await agent.submitLogin(await agent.get(`/interaction/${uid}`), 'emil', PASSWORD, atCallback);
    expect(title(victim)).toBe('Confirm with a passkey');
    const swapped = await answer(agent, o.path, o.flow, keys.dirk!.assert(o.options.challenge, b64url(users.dirk!.id)));
    expect(atCallback(swapped.url)).toBe(false);
    expect([swapped.status, text(swapped.html)]).toEqual([404, expect.stringContaining('This page is no longer valid. Start again.')]);
    expect(await audited('second_factor.success', 'emil')).toEqual([]);
  });

  it('throttles refused passkeys like wrong codes, and offers a person with an app both', async () => {
    const agent = new Agent(idp.issuer);
    await agent.login('carla', PASSWORD);
    await enrolOnAccount(agent);
    const b = new Agent(idp.issuer);
    let { page } = await passwordStep(b, open, 'carla');
    expect(title(page)).toBe('Enter the 6-digit code from your app');
    expect(page.html).toContain('<h2>Confirm with a passkey</h2>');
    for (let i = 0; i < 3; i++) {
      const o = await options(b, page);
      page = await answer(b, o.path, o.flow, keys.dirk!.assert(o.options.challenge, b64url(users.dirk!.id)));
      expect(page.status).toBe(401);
    }
    expect(await audited('second_factor.throttled', 'carla')).toEqual([{ kind: 'passkey' }]);
    // Past the threshold even the right passkey waits first.
    const o = await options(b, page);
    const started = performance.now();
    const done = await answer(b, o.path, o.flow, keys.carla!.assert(o.options.challenge, b64url(users.carla!.id)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(atCallback(done.url)).toBe(true);
  });
});
