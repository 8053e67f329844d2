// A lock that lands while the new password of a reactivation is hashed: staff, or the owner's "it was not me" link,
// locked the account after the password step had read it. The lock stands, and nothing of the step is kept (the
// attack pass locked the account 20 ms after posting the password; the account was active again 245 ms later).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { createServices, type Services } from '../../../provider/app/server.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];
const ANN = '+32470123456';
const IP = '203.0.113.7';
const OLD_HASH = 'the hash of her old password';

describe.each(kinds)('a lock during the last step of a reactivation, on %s', (kind) => {
  let db: Db;
  let services: Services;
  let ann: User;

  beforeAll(async () => {
    ({ db } = await testDb(kind));
    services = await createServices(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' }), db);
    ann = await services.users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'blocked', locale: 'en' });
    await services.users.setVerifiedPhone(db, ann.id, ANN);
    await services.users.updatePasswordHash(db, ann.id, OLD_HASH);
    ann = (await services.users.findById(db, ann.id))!;
  });
  afterAll(() => db?.destroy());

  it('keeps the lock, and neither the password nor the flow of the step', async () => {
    // Staff lock the account while the password is being hashed, after the step read it as blocked.
    const hasher = {
      ...services.hasher,
      hash: async (password: string) => {
        const hash = await services.hasher.hash(password);
        await services.users.setStatus(db, ann.id, 'locked');
        return hash;
      },
    };
    const reactivation = createReactivationService({ ...services, hasher });
    const { binding } = newApiSecret();
    const started = await reactivation.start(ANN, { ip: IP }, binding);
    await reactivation.vouchedByUpstream(started.id, ann, 'My Bank', { ip: IP }, binding);
    const { token } = await reactivation.issueToken(started.id, { ip: IP }, binding);
    const redeemed = await reactivation.redeem(ANN, token, { ip: IP, locale: 'en' }, binding);
    if (redeemed.status !== 'ok') throw new Error(redeemed.status);
    const sms = await db('outbox').where({ channel: 'sms', recipient: ANN }).orderBy('created_at', 'desc').first();
    const code = /\b(\d{6})\b/.exec(sms.body_text as string)![1]!;
    expect((await reactivation.confirmPhone(redeemed.flow, code)).status).toBe('ok');
    const flow = await reactivation.account(redeemed.flow.id, binding);

    await expect(reactivation.complete(flow, 'a new passphrase chosen by whoever holds the flow', { ip: IP, locale: 'en' })).rejects.toMatchObject({
      code: 'account_locked',
    });
    const after = (await services.users.findById(db, ann.id))!;
    expect(after.status).toBe('locked');
    expect(after.password_hash).toBe(OLD_HASH);
    expect((await reactivation.account(flow.id, binding)).state).toBe('password');
    expect(await db('audit_log').where({ event: 'reactivation.completed', user_id: ann.id })).toHaveLength(0);
  });
});
