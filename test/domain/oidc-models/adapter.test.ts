// The oidc-provider adapter contract on both databases: expiry, consume, secondary lookups, grant revocation, purge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';
import { createAdapterFactory, purgeExpired, revokeAccount } from '../../../provider/domain/oidc-models/adapter.ts';
import { inBatch } from '../../../provider/domain/oidc-models/request-batch.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { createUserRepository } from '../../../provider/domain/accounts/repository.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];

describe.each(kinds)('knex adapter on %s', (kind) => {
  let db: Db;
  let clock = Date.now();
  const now = () => new Date(clock);
  let Adapter: ReturnType<typeof createAdapterFactory>;

  beforeAll(async () => {
    ({ db } = await testDb(kind));
    Adapter = createAdapterFactory(db, { now });
  });
  afterAll(() => db.destroy());

  it('keeps a client for clientCacheMs in each process: changes through it at once, through another within that time', async () => {
    const Cached = createAdapterFactory(db, { now, clientCacheMs: 5000 });
    const here = new Cached('Client');
    const elsewhere = new Adapter('Client');
    await here.upsert('app1', { client_id: 'app1', client_secret: 'old', redirect_uris: ['https://a.example/cb'] }, 0);
    expect((await here.find('app1'))?.client_secret).toBe('old');
    // What a caller does to its copy does not reach the cache.
    ((await here.find('app1'))!.redirect_uris as string[]).push('https://evil.example/cb');
    expect((await here.find('app1'))?.redirect_uris).toEqual(['https://a.example/cb']);

    await elsewhere.upsert('app1', { client_id: 'app1', client_secret: 'new', redirect_uris: ['https://a.example/cb'] }, 0);
    expect((await here.find('app1'))?.client_secret).toBe('old');
    clock += 5001;
    expect((await here.find('app1'))?.client_secret).toBe('new');

    await here.destroy('app1');
    expect(await here.find('app1')).toBeUndefined();
    // Other models are never cached.
    const tokens = new Cached('AccessToken');
    await tokens.upsert('t1', { accountId: 'a' }, 60);
    expect(await tokens.find('t1')).toMatchObject({ accountId: 'a' });
    await new Adapter('AccessToken').destroy('t1');
    expect(await tokens.find('t1')).toBeUndefined();
  });

  it('stores, finds and replaces a payload until it expires', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'a1', grantId: 'g1', scope: 'openid' }, 60);
    expect(await codes.find('c1')).toMatchObject({ accountId: 'a1', scope: 'openid' });
    await codes.upsert('c1', { accountId: 'a1', grantId: 'g1', scope: 'openid email' }, 60);
    expect((await codes.find('c1'))?.scope).toBe('openid email');
    expect(await new Adapter('AccessToken').find('c1')).toBeUndefined();
    clock += 61_000;
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('marks a payload consumed with the time of consumption', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c2', { grantId: 'g2' }, 60);
    expect((await codes.find('c2'))?.consumed).toBeUndefined();
    await codes.consume('c2');
    expect((await codes.find('c2'))?.consumed).toBe(Math.floor(clock / 1000));
  });

  it('finds sessions by uid and device codes by user code; destroy removes', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u-1', accountId: 'a1' }, 3600);
    expect((await sessions.findByUid('u-1'))?.accountId).toBe('a1');
    const devices = new Adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g9' }, 600);
    expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ grantId: 'g9' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u-1')).toBeUndefined();
  });

  it('finds nothing, without a database error, for an id, uid or user code with a NUL character (a client_id=%00)', async () => {
    await expect(new Adapter('Client').find('x\u0000y')).resolves.toBeUndefined();
    await expect(new Adapter('Session').findByUid('\u0000')).resolves.toBeUndefined();
    await expect(new Adapter('DeviceCode').findByUserCode('AB\u0000')).resolves.toBeUndefined();
  });

  it('revokes every artefact of a grant, and of an account', async () => {
    const at = new Adapter('AccessToken');
    const rt = new Adapter('RefreshToken');
    const other = new Adapter('AccessToken');
    await at.upsert('at1', { grantId: 'g3', accountId: 'a3' }, 600);
    await rt.upsert('rt1', { grantId: 'g3', accountId: 'a3' }, 600);
    await other.upsert('at2', { grantId: 'g4', accountId: 'a4' }, 600);
    await at.revokeByGrantId('g3');
    expect(await at.find('at1')).toBeUndefined();
    expect(await rt.find('rt1')).toBeUndefined();
    expect(await other.find('at2')).toBeDefined();

    await new Adapter('Session').upsert('s4', { accountId: 'a4', uid: 'u4' }, 600);
    await new Adapter('Grant').upsert('g4', { accountId: 'a4' }, 600);
    expect(await revokeAccount(db, 'a4')).toBe(3);
    expect(await other.find('at2')).toBeUndefined();
  });

  it('queues a logout token for each app of each live session it ends that registered a backchannel_logout_uri', async () => {
    const clients = new Adapter('Client');
    await clients.upsert('listens', { client_id: 'listens', backchannel_logout_uri: 'https://listens.example/logout' }, 0);
    await clients.upsert('deaf', { client_id: 'deaf' }, 0);
    const sessions = new Adapter('Session');
    const both = { listens: { sid: 'sid-live' }, deaf: { sid: 'sid-deaf' } };
    await sessions.upsert('s5', { accountId: 'a5', uid: 'u5', authorizations: both }, 600);
    await sessions.upsert('s6', { accountId: 'a5', uid: 'u6', authorizations: { listens: { sid: 'sid-expired' } } }, 600);
    await sessions.upsert('s7', { accountId: 'a5', uid: 'u7', authorizations: { listens: { sid: 'sid-kept' } } }, 600);
    await db('oidc_models')
      .where({ model: 'Session', id: 's6' })
      .update({ expires_at: new Date(0) });
    await revokeAccount(db, 'a5', 'u7');
    const queued = await db('outbox').where({ channel: 'logout' }).select('recipient', 'reference', 'body_text', 'user_id');
    expect(queued).toEqual([{ recipient: 'listens', reference: 'sid-live', body_text: JSON.stringify({ sub: 'a5', sid: 'sid-live' }), user_id: null }]);
  });

  it("makes a request's writes at its end, with its code's grant and session read along, and a code used once", async () => {
    const grants = new Adapter('Grant');
    const sessions = new Adapter('Session');
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    await grants.upsert('g9', { accountId: 'a9' }, 60);
    await sessions.upsert('s9', { uid: 'u9', accountId: 'a9' }, 60);
    await codes.upsert('c9', { grantId: 'g9', sessionUid: 'u9' }, 60);

    // A code exchange: the code, its session and grant, consumed, a token written.
    const exchange = (token: string, meanwhile = async () => {}) =>
      inBatch(db, async () => {
        const code = await codes.find('c9');
        if (code?.consumed) return;
        await meanwhile();
        // Changed in the database meanwhile: the request goes on with what it read along with its code.
        await db('oidc_models')
          .where({ model: 'Grant', id: 'g9' })
          .update({ payload: JSON.stringify({ accountId: 'changed' }) });
        expect(await grants.find('g9')).toMatchObject({ accountId: 'a9' });
        expect(await sessions.findByUid('u9')).toMatchObject({ accountId: 'a9' });
        await codes.consume('c9');
        expect((await codes.find('c9'))?.consumed).toBeTypeOf('number');
        await tokens.upsert(token, { grantId: 'g9', accountId: 'a9' }, 60);
        // Not written yet: another request does not see it.
        expect(await db('oidc_models').where({ model: 'AccessToken', id: token }).first()).toBeUndefined();
      });
    // Two exchanges of one code, the second done while the first was between reading the code and writing: the
    // second gets its token, the first writes nothing and is told so.
    let second: boolean | undefined;
    const first = await exchange('t9a', async () => {
      second = await exchange('t9b');
    });
    expect([first, second]).toEqual([false, true]);
    expect(await db('oidc_models').where({ model: 'AccessToken' }).whereIn('id', ['t9a', 't9b']).pluck('id')).toEqual(['t9b']);
    expect(await new Adapter('Grant').find('g9')).toMatchObject({ accountId: 'changed' });
    // A third finds the code used.
    expect(await exchange('t9c')).toBe(true);
    expect(await tokens.find('t9c')).toBeUndefined();
  });

  it("saves a login's result only while the account's access is the one it was proved in, and resumes it only once", async () => {
    const user = await createUserRepository({ uniqueEmail: true }).create(db, { username: `held.${kind}`, email: `held.${kind}@example.be`, status: 'active' });
    const interactions = new Adapter('Interaction');
    const sessions = new Adapter('Session');
    const login = (generation: number) => ({ uid: `i-${generation}`, result: { login: { accountId: user.sub, accessGeneration: generation } } });
    // Proved in generation 0, saved after the owner's new password moved it to 1: not saved, and the request is told.
    await db('users').where({ id: user.id }).increment('access_generation', 1);
    expect(await inBatch(db, () => interactions.upsert('i0', login(0), 60))).toBe(false);
    expect(await interactions.find('i0')).toBeUndefined();
    // Outside a request's batch (an upstream's return), the same.
    await interactions.upsert('i0', login(0), 60);
    expect(await interactions.find('i0')).toBeUndefined();
    // Proved in the account's generation: saved.
    expect(await inBatch(db, () => interactions.upsert('i1', login(1), 60))).toBe(true);
    expect(await interactions.find('i1')).toMatchObject({ result: { login: { accountId: user.sub } } });

    // A resume reads the interaction, and deletes it as it writes the session. What ends the account's access
    // deletes the interaction meanwhile: the resume writes nothing.
    const resume = (session: string, meanwhile = async () => {}) =>
      inBatch(db, async () => {
        if (!(await interactions.find('i1'))) return;
        await meanwhile();
        await interactions.destroy('i1');
        await sessions.upsert(session, { uid: session, accountId: user.sub }, 60);
      });
    expect(await resume('s-after-revoke', () => revokeAccount(db, user.sub).then(() => undefined))).toBe(false);
    expect(await sessions.find('s-after-revoke')).toBeUndefined();
    // Two resumes of one interaction, the second while the first is between reading and writing: one session.
    await interactions.upsert('i1', login(1), 60);
    let second: boolean | undefined;
    const first = await resume('s-first', async () => {
      second = await resume('s-second');
    });
    expect([first, second]).toEqual([false, true]);
    expect(await db('oidc_models').where({ model: 'Session' }).whereIn('id', ['s-first', 's-second']).pluck('id')).toEqual(['s-second']);
  });

  it('purges expired rows and keeps the others', async () => {
    const a = new Adapter('Interaction');
    await a.upsert('i1', { returnTo: 'x' }, 10);
    await a.upsert('i2', { returnTo: 'y' }, 1000);
    clock += 20_000;
    expect(await purgeExpired(db, now())).toBeGreaterThanOrEqual(1);
    expect(await db('oidc_models').where({ model: 'Interaction', id: 'i1' }).first()).toBeUndefined();
    expect(await a.find('i2')).toBeDefined();
  });
});
