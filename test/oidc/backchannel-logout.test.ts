// OpenID Connect Back-Channel Logout 1.0 from the relying app's side: every way a session ends (an erasure of the
// account too, whoever starts it) brings the app a logout token it verifies against the provider's JWKS, once; an app
// that is down gets it when it is back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { startHttpSink, type HttpSink, type RecordedRequest } from '../helpers/http-sink.ts';
import { discover } from '../helpers/rp.ts';
import { Agent, text, type Response } from '../flows/account/agent.ts';
import { idp as cli } from '../helpers/cli.ts';
import { createClient, deleteClient, type ClientInput } from '../../provider/oidc/clients.ts';
import { revokeSession } from '../../provider/oidc/account-sessions.ts';
import { buildProvider } from '../../provider/oidc/provider.ts';
import { loadJwks } from '../../provider/oidc/keys.ts';
import { createPasswordChange } from '../../provider/domain/accounts/password-change.ts';
import { createPasswordPolicy } from '../../provider/domain/accounts/password-policy.ts';
import { changeAccountStatus } from '../../provider/domain/accounts/staff-status.ts';
import { createRecoveryService } from '../../provider/flows/recovery/service.ts';
import { latestMessages } from '../../provider/domain/messaging/outbox.ts';
import type { User } from '../../provider/domain/accounts/repository.ts';
import type { Binding } from '../../provider/domain/flow-state/binding.ts';
import { createReactivationService } from '../../provider/flows/reactivation/service.ts';
import { ACCOUNT_FLOW, type AccountData } from '../../provider/flows/reactivation/states.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a river of slow green light';
const REDIRECT = 'http://127.0.0.1:9/cb';
const LOGGED_OUT = 'http://127.0.0.1:9/bye';
const INITIAL_ACCESS_TOKEN = 'initial-access-token-for-logout-tests';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const PORTAL = { name: 'Portal', redirectUris: [REDIRECT], postLogoutRedirectUris: [LOGGED_OUT], firstParty: true };

describe('back-channel logout', { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let app: HttpSink;
  let rp: client.Configuration;
  let clientId: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let n = 0;

  beforeAll(async () => {
    app = await startHttpSink();
    // The worker looks every 100 ms and retries after a second: an app that was down is reached within the test.
    idp = await startTestProvider('pglite', { OUTBOX_POLL_MS: '100', OUTBOX_BACKOFF_SECONDS: '1', IDP_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
    const c = await portal({ name: 'Crisis portal' });
    clientId = c.client_id;
    rp = await discover(idp.issuer, c.client_id, c.client_secret);
    jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
  });
  afterAll(async () => {
    await idp?.close();
    await app?.stop();
  });
  beforeEach(() => app.up());

  const portal = (o: Partial<ClientInput>) =>
    createClient(idp.services.provider(), { ...PORTAL, backchannelLogoutUri: `${app.url}/logout`, backchannelLogoutSessionRequired: true, ...o });

  /** The uid of the login session in which the app got `sid` (oidc-provider gives each app of a session its own sid). */
  async function sessionUid(sid: string): Promise<string> {
    const rows: { uid: string; payload: unknown }[] = await idp.db('oidc_models').where({ model: 'Session' }).select('uid', 'payload');
    return rows.find((r) => JSON.stringify(r.payload).includes(sid))!.uid;
  }

  /** A new account, logged in to the app in a browser of its own: the app's sid and the account's sub. */
  async function loggedIn(to = rp): Promise<{ user: User; agent: Agent; sid: string; sub: string; idToken: string }> {
    const { db, users, hasher } = idp.services;
    const username = `user${++n}`;
    const user = await users.create(db, {
      username,
      email: `${username}@example.be`,
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    const agent = new Agent(idp.issuer);
    const tokens = await agent.authorize(to, REDIRECT, 'openid', { identifier: username, password: PASSWORD });
    const claims = tokens.claims()!;
    expect(claims.sid).toEqual(expect.any(String));
    return { user, agent, sid: claims.sid as string, sub: claims.sub, idToken: tokens.id_token! };
  }

  /** Answers yes to the logout question `page` asks (an app's, or the account pages'): where the browser is sent. */
  async function confirmLogout(agent: Agent, page: Promise<Response>): Promise<string> {
    const xsrf = /name="xsrf" value="([^"]+)"/.exec((await page).html)![1]!;
    return (await agent.go('/session/end/confirm', { form: { xsrf, logout: 'yes' } }, (l) => l.startsWith(LOGGED_OUT))).url;
  }
  const endSession = (idToken: string) => `/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT })}`;

  const tokenOf = (r: RecordedRequest) => new URLSearchParams(r.body).get('logout_token') ?? '';
  const delivered = (sid: string) => app.requests.filter((r) => r.status === 200 && decodeJwt(tokenOf(r)).sid === sid);

  /** The logout token the app received for `sid`, verified as the specification asks an app to. */
  async function logoutToken(sid: string, sub: string, audience = clientId): Promise<JWTPayload> {
    const r = await app.waitFor((q) => q.status === 200 && decodeJwt(tokenOf(q)).sid === sid, 10_000);
    expect([r.method, r.path, r.headers['content-type']]).toEqual(['POST', '/logout', 'application/x-www-form-urlencoded']);
    const { payload, protectedHeader } = await jwtVerify(tokenOf(r), jwks, { issuer: idp.issuer, audience, typ: 'logout+jwt', maxTokenAge: 120 });
    expect(protectedHeader.alg).not.toBe('none');
    expect(payload).toMatchObject({ sub, sid, events: { [EVENT]: {} } });
    expect(payload.iat).toEqual(expect.any(Number));
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload).not.toHaveProperty('nonce');
    return payload;
  }

  /** The audit events of `sid`'s deliveries, once there are `count` (they are written after the app answered). */
  async function auditEvents(event: string, sid: string, count = 1) {
    for (let i = 0; ; i++) {
      const rows = (await idp.db('audit_log').where({ event }).select('user_id', 'details')).filter((r) => JSON.stringify(r.details).includes(sid));
      if (rows.length >= count || i === 50) return rows;
      await sleep(50);
    }
  }

  /** The delivery to `sid`'s app once its first attempt failed. */
  async function failedOnce(sid: string) {
    for (let i = 0; i < 100; i++) {
      const row = await idp.db('outbox').where({ channel: 'logout', reference: sid }).first('status', 'attempts');
      if (row && row.attempts >= 1 && row.status === 'pending') return row;
      await sleep(100);
    }
    throw new Error('no failed attempt recorded');
  }

  it('is announced in discovery', async () => {
    const doc = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('is registered dynamically, with https or, outside production, http on loopback', async () => {
    const register = (uri: string) =>
      fetch(`${idp.issuer}/reg`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://rp.example.be/cb'], backchannel_logout_uri: uri, backchannel_logout_session_required: true }),
      });
    const secure = await register('https://rp.example.be/logout');
    expect(secure.status).toBe(201);
    expect(await secure.json()).toMatchObject({ backchannel_logout_uri: 'https://rp.example.be/logout', backchannel_logout_session_required: true });
    expect((await register('http://127.0.0.1:8080/logout')).status).toBe(201);
    const plain = await register('http://rp.example.be/logout');
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('backchannel_logout_uri') });
    const fragment = await register('https://rp.example.be/logout#here');
    expect(await fragment.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: 'backchannel_logout_uri must not contain a fragment' });
  });

  it('takes only https in production, loopback included', async () => {
    const { config, db, users, cookieKeys } = idp.services;
    const production = buildProvider({ config: { ...config, production: true }, db, users, jwks: await loadJwks(db), cookieKeys });
    const portal = (uri: string) => createClient(production, { name: 'Portal', redirectUris: [REDIRECT], backchannelLogoutUri: uri });
    await expect(portal('http://127.0.0.1:8080/logout')).rejects.toMatchObject({ error_description: 'backchannel_logout_uri must use https' });
    await expect(portal('https://portal.example.be/logout')).resolves.toMatchObject({ client_id: expect.any(String) });
  });

  it('reaches the app once when the person logs out through the app (RP-initiated logout)', async () => {
    const { agent, sid, sub, idToken } = await loggedIn();
    expect(await confirmLogout(agent, agent.get(endSession(idToken)))).toBe(LOGGED_OUT);
    await logoutToken(sid, sub);
    await sleep(300);
    expect(delivered(sid)).toHaveLength(1);
    expect(await auditEvents('backchannel_logout.delivered', sid)).toHaveLength(1);
  });

  it('names the person to a pairwise app by the sub it knows, and audits the delivery under the account', async () => {
    const c = await portal({ subjectType: 'pairwise' });
    const { user, agent, sid, sub, idToken } = await loggedIn(await discover(idp.issuer, c.client_id, c.client_secret));
    expect(sub).not.toBe(user.sub);
    expect(await confirmLogout(agent, agent.get(endSession(idToken)))).toBe(LOGGED_OUT);
    await logoutToken(sid, sub, c.client_id);
    expect(await auditEvents('backchannel_logout.delivered', sid)).toEqual([{ user_id: user.id, details: expect.objectContaining({ client: c.client_id }) }]);
  });

  it('reaches the app when the person logs out on the account pages', async () => {
    const { agent, sid, sub } = await loggedIn();
    expect((await agent.get('/self/login?return_to=/account')).url).toBe(`${idp.issuer}/account`);
    await confirmLogout(agent, agent.post('/self/logout', {}));
    await logoutToken(sid, sub);
  });

  it('reaches the app when the session is ended on /account/sessions', async () => {
    const { user, sid, sub } = await loggedIn();
    expect(await revokeSession(idp.db, user.sub, await sessionUid(sid))).toBe(true);
    await logoutToken(sid, sub);
  });

  it('reaches the apps of every other session on a password change, not those of the session it is made from', async () => {
    const { user, sid, sub } = await loggedIn();
    const kept = new Agent(idp.issuer);
    const keptSid = (await kept.authorize(rp, REDIRECT, 'openid', { identifier: user.username!, password: PASSWORD })).claims()!.sid as string;
    const { config, db, users, hasher, tokens } = idp.services;
    const change = createPasswordChange({ config, db, users, hasher, tokens });
    expect(await change.change(user, { current: PASSWORD, next: NEW_PASSWORD }, { keepSessionUid: await sessionUid(keptSid), locale: 'en' })).toEqual({
      ok: true,
      accessGeneration: 1,
    });
    await logoutToken(sid, sub);
    expect(delivered(keptSid)).toHaveLength(0);
  });

  it('reaches the app on a password reset', async () => {
    const { user, sid, sub } = await loggedIn();
    const { config, db, users, hasher, tokens } = idp.services;
    const recovery = createRecoveryService({ config, db, users, hasher, tokens, policy: createPasswordPolicy(config) });
    await recovery.mailLinkFor(user);
    const mail = (await latestMessages(db, 10)).find((m) => m.recipient === user.email)!;
    const token = new URL(/https?:\/\/\S+\/recovery\/reset\?\S+/.exec(mail.bodyText)![0]).searchParams.get('token')!;
    expect(await recovery.reset(token, NEW_PASSWORD, { ip: undefined, locale: 'en' })).toMatchObject({ status: 'ok' });
    await logoutToken(sid, sub);
  });

  it('reaches an app that was down when staff locked the account, once it is back', async () => {
    const { user, sid, sub } = await loggedIn();
    await app.down();
    const { db, users, tokens } = idp.services;
    expect(await db.transaction((trx) => changeAccountStatus(trx, { users, tokens }, user, 'lock', {}))).toBe(true);
    expect(await failedOnce(sid)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await auditEvents('backchannel_logout.failed', sid)).toEqual([
      { user_id: user.id, details: expect.objectContaining({ client: clientId, attempt: 1 }) },
    ]);
    await app.up();
    await logoutToken(sid, sub);
    expect(await auditEvents('backchannel_logout.delivered', sid)).toHaveLength(1);
  });

  // Every erasure goes through eraseAccount; each way to it is tried, from where it starts.
  const erasures: [string, (user: User) => Promise<void>][] = [
    [
      'staff erase it on the person page',
      async (user) => {
        const staff = new Agent(idp.issuer);
        const { db, users, hasher } = idp.services;
        await users.create(db, { username: `staff${++n}`, passwordHash: await hasher.hash(PASSWORD), status: 'active', roles: ['admin'] });
        await staff.login(`staff${n}`, PASSWORD, '/admin/users');
        expect(text((await staff.post(`/admin/users/${user.id}/delete`, { confirm: 'on' })).html)).toContain('The account has been erased.');
      },
    ],
    ['`idp users delete` erases it', async (user) => expect((await cli(idp, ['users', 'delete', user.username!])).out).toMatch(/^Deleted /)],
    [
      'the purge erases it at the end of the grace period',
      async (user) => {
        // However the account kept a session until then, the purge ends it as every erasure does.
        await idp.services.users.scheduleDeletion(idp.db, user.id, new Date(Date.now() - 1000));
        expect(await idp.services.deletion.purgeDue()).toBe(1);
      },
    ],
  ];

  it.each(erasures)('reaches the app when %s, though nothing else of the person stays', async (_, erase) => {
    const { user, sid, sub } = await loggedIn();
    await erase(user);
    expect(await idp.services.users.findById(idp.db, user.id)).toBeUndefined();
    await logoutToken(sid, sub);
    expect(await auditEvents('backchannel_logout.delivered', sid)).toEqual([{ user_id: null, details: { client: clientId, sid, attempt: 1 } }]);
    expect(await idp.db('outbox').where({ user_id: user.id })).toEqual([]);
    // Delivered, the logout's own row no longer says whose it was.
    expect(await idp.db('outbox').where({ channel: 'logout', reference: sid }).select('status', 'recipient', 'body_text')).toEqual([
      { status: 'sent', recipient: clientId, body_text: '{}' },
    ]);
  });

  it('reaches the app when the account is taken back (reactivation)', async () => {
    const { user, sid, sub } = await loggedIn();
    const { db, flows } = idp.services;
    // The card or upstream and the SMS code were proved before this last step, which the test starts from.
    const reactivation = createReactivationService(idp.services);
    const flow = await flows.create<AccountData>(db, {
      type: ACCOUNT_FLOW,
      state: 'password',
      binding: 'browser:test' as Binding,
      userId: user.id,
      data: { mobile: '+32470123456', cardNumber: '', generation: user.access_generation },
      ttlSeconds: 600,
    });
    expect(await reactivation.complete(flow, NEW_PASSWORD, { ip: undefined, locale: 'en' })).toMatchObject({ status: 'ok' });
    await logoutToken(sid, sub);
  });

  it('reaches the app when the person asks for the deletion of the account', async () => {
    const { user, sid, sub } = await loggedIn();
    await idp.services.deletion.request(user, '127.0.0.1');
    await logoutToken(sid, sub);
  });

  it('gives up, audited, when the app is removed before it could be reached', async () => {
    const c = await portal({ name: 'Old portal' });
    const { user, sid } = await loggedIn(await discover(idp.issuer, c.client_id, c.client_secret));
    await app.down();
    expect(await revokeSession(idp.db, user.sub, await sessionUid(sid))).toBe(true);
    await failedOnce(sid);
    await deleteClient(idp.services.provider(), c.client_id, idp.db);
    await app.up();
    expect(await auditEvents('backchannel_logout.gave_up', sid)).toEqual([
      { user_id: user.id, details: expect.objectContaining({ client: c.client_id, error: `${c.client_id} no longer has a backchannel_logout_uri` }) },
    ]);
    expect(delivered(sid)).toHaveLength(0);
  });
});
