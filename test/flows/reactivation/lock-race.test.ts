// A lock that lands while the new password of a reactivation is hashed: staff, or the owner's "it was not me" link,
// locked the account after the password step had read it. The lock stands, and nothing of the step is kept (the
// attack pass locked the account 20 ms after posting the password; the account was active again 245 ms later).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import type { Services } from '../../../provider/app/server.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService, type ReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { endAccountAccess } from '../../../provider/domain/accounts/end-access.ts';
import { has } from '../../helpers/components.ts';
import { testServices } from '../../helpers/services.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];
const ANN = '+32470123456';
const IP = '203.0.113.7';
const OLD_HASH = 'the hash of her old password';

describe.each(kinds)('a lock during the last step of a reactivation, on %s', (kind) => {
  let db: Db;
  let services: Services;
  let ann: User;

  beforeAll(async () => {
    ({ db, services } = await testServices(kind));
    ann = await services.users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'blocked', locale: 'en' });
    await services.users.setVerifiedPhone(db, ann.id, ANN);
    await services.users.updatePasswordHash(db, ann.id, OLD_HASH);
    ann = (await services.users.findById(db, ann.id))!;
  });
  afterAll(() => db?.destroy());

  /** A reactivation vouched for by a bank, its token redeemed and its SMS code typed: the password is next. */
  async function atPasswordStep(reactivation: ReactivationService) {
    const { binding } = newApiSecret();
    const started = await reactivation.start(ANN, { ip: IP }, binding);
    await reactivation.vouchedByUpstream(started.id, (await services.users.findById(db, ann.id))!, 'My Bank', true, { ip: IP }, binding);
    const { token } = await reactivation.issueToken(started.id, { ip: IP }, binding);
    const redeemed = await reactivation.redeem(ANN, token, { ip: IP, locale: 'en' }, binding);
    if (redeemed.status !== 'ok') throw new Error(redeemed.status);
    const sms = await db('outbox').where({ channel: 'sms', recipient: ANN }).orderBy('created_at', 'desc').first();
    const code = /\b(\d{6})\b/.exec(sms.body_text as string)![1]!;
    expect((await reactivation.confirmPhone(redeemed.flow, code)).status).toBe('ok');
    return { flow: await reactivation.account(redeemed.flow.id, binding), binding };
  }

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
    const { flow, binding } = await atPasswordStep(reactivation);

    await expect(reactivation.complete(flow, 'a new passphrase chosen by whoever holds the flow', { ip: IP, locale: 'en' })).rejects.toMatchObject({
      code: 'account_locked',
    });
    const after = (await services.users.findById(db, ann.id))!;
    expect(after.status).toBe('locked');
    expect(after.password_hash).toBe(OLD_HASH);
    expect((await reactivation.account(flow.id, binding)).state).toBe('password');
    expect(await db('audit_log').where({ event: 'reactivation.completed', user_id: ann.id })).toHaveLength(0);
  });

  // The attack pass brought two flows to this step, completed one, then the owner chose a new password
  // (idp users set-password): the other flow still reactivated the account with its own password.
  it('ends a flow left at a step once the account changed: another reactivation, or a new password', async () => {
    await services.users.setStatus(db, ann.id, 'blocked');
    const reactivation = createReactivationService(services);
    const first = await atPasswordStep(reactivation);
    const second = await atPasswordStep(reactivation);
    const third = await atPasswordStep(reactivation);
    expect((await reactivation.complete(first.flow, 'the passphrase of the first flow', { ip: IP, locale: 'en' })).status).toBe('ok');
    const ended = { code: 'flow_ended', key: 'reactivation.error.ended' };
    await expect(reactivation.complete(second.flow, 'the passphrase of the second flow', { ip: IP, locale: 'en' })).rejects.toMatchObject(ended);
    await expect(reactivation.person(third.flow)).rejects.toMatchObject(ended);

    // A flow started after that, then the owner's new password while it waits at its last step.
    const fourth = await atPasswordStep(reactivation);
    const owner = (await services.users.findById(db, ann.id))!;
    await db.transaction((trx) => endAccountAccess(trx, services.tokens, owner));
    await services.users.updatePasswordHash(db, ann.id, 'the hash the owner chose');
    await expect(reactivation.complete(fourth.flow, 'the passphrase of the fourth flow', { ip: IP, locale: 'en' })).rejects.toMatchObject(ended);
    expect((await services.users.findById(db, ann.id))!.password_hash).toBe('the hash the owner chose');
  });
});
