// Sign-ups never activated are deleted PENDING_ACCOUNT_DAYS after their last activation link expired (the clock is
// moved by passing `now`): an invitation becomes usable again, a customer record free again, and nothing active or
// recently mailed is touched. On the embedded database and on PostgreSQL.
import { afterAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import type { DbKind } from '../../helpers/db.ts';
import { testServices } from '../../helpers/services.ts';
import { createRegistrationService, type SignUp } from '../../../provider/flows/registration/service.ts';
import { purgeUnactivated } from '../../../provider/flows/registration/purge.ts';
import { importInvitations } from '../../../provider/domain/invitations/import.ts';
import { importCustomers, findCustomer } from '../../../provider/domain/customers/customers.ts';
import { invitations } from '../../../provider/domain/invitations/repository.ts';
import { fromJsonColumn } from '../../../provider/platform/db/knex.ts';

const DAY = 86400_000;
const kinds: DbKind[] = has('postgres') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(kinds)('purge of sign-ups never activated (%s)', (kind) => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('deletes them 30 days after the last link expired, frees their invitation and customer record, keeps the rest', async () => {
    const { db, services } = await testServices(kind, { REGISTRATION_MODES: 'open,invitation,customer' });
    closers.push(() => db.destroy());
    const registration = createRegistrationService(services);
    const passwordHash = await services.hasher.hash('correct horse battery staple');
    const signUp = (email: string): SignUp => ({ email, givenName: 'A', familyName: 'B', passwordHash, locale: 'en', acceptedAt: new Date() });

    const open = await db.transaction((trx) => registration.signUpOpen(trx, signUp('never@example.be')));
    const [issued] = (await importInvitations(services, 'given name;family name;group\nMax;Müller;10a\n', { partial: false })).imported;
    const invitation = (await invitations.findById(db, issued!.id))!;
    await db.transaction((trx) => registration.completeInvitation(trx, invitation, { ...signUp('max@example.be'), givenName: 'Max', familyName: 'Müller' }));
    await importCustomers(db, 'customer number;name\nK1;Peeters\n', { partial: false });
    await db.transaction(async (trx) => registration.signUpCustomer(trx, (await findCustomer(trx, 'K1', 'Peeters'))!, signUp('peeters@example.be')));
    const active = await services.users.create(db, { email: 'active@example.be', emailVerified: true, passwordHash, status: 'active' });
    const pendingIds = await db('users').where({ status: 'pending' }).pluck('id');
    expect(pendingIds).toHaveLength(3);

    // A day after the links expired nothing goes; a resend restarts the count of the account it mails.
    const linkExpired = Date.now() + DAY;
    expect(await purgeUnactivated(db, services.users, services.config, new Date(linkExpired + DAY))).toBe(0);
    // Mailed 20 days ago, but one of them asked for a new link today.
    await db('users')
      .where({ status: 'pending' })
      .update({ updated_at: new Date(Date.now() - 20 * DAY) });
    await registration.resend('never@example.be');
    expect(await purgeUnactivated(db, services.users, services.config, new Date(linkExpired + 11 * DAY))).toBe(2);
    expect(await db('users').where({ status: 'pending' }).pluck('email')).toEqual(['never@example.be']);
    expect(await purgeUnactivated(db, services.users, services.config, new Date(linkExpired + 31 * DAY))).toBe(1);

    expect(await db('users').pluck('id')).toEqual([active.id]);
    expect(open.account && pendingIds).toContain(open.account);
    expect(await invitations.findById(db, invitation.id)).toMatchObject({ status: 'issued', user_id: null });
    expect(await findCustomer(db, 'K1', 'Peeters')).toMatchObject({ user_id: null });
    // The activation links went with their accounts, and the purge is in the audit log.
    expect(await db('one_time_tokens').whereIn('user_id', pendingIds).pluck('id')).toEqual([]);
    expect((await db('audit_log').where({ event: 'registration.purged' }).orderBy('id').pluck('details')).map((d) => fromJsonColumn(d))).toEqual([
      { accounts: 2, days: 30 },
      { accounts: 1, days: 30 },
    ]);
  });

  it('deletes a sign-up superseded from the same browser together with its activation link', async () => {
    const { db, services } = await testServices(kind);
    closers.push(() => db.destroy());
    const registration = createRegistrationService(services);
    const passwordHash = await services.hasher.hash('correct horse battery staple');
    const signUp = (email: string): SignUp => ({ email, givenName: 'A', familyName: 'B', passwordHash, locale: 'en', acceptedAt: new Date() });

    const typo = await db.transaction((trx) => registration.signUpOpen(trx, signUp('typo@exmaple.be')));
    const right = await db.transaction((trx) => registration.signUpOpen(trx, signUp('right@example.be')));
    // The browser that signed up with the typo now signs up with an address that has a pending account already.
    await db.transaction((trx) => registration.signUpOpen(trx, signUp('right@example.be'), typo.account));

    expect(await db('users').pluck('id')).toEqual([right.account]);
    expect(Number((await db('one_time_tokens').where({ user_id: typo.account }).count('* as n').first())!.n)).toBe(0);
    expect(Number((await db('one_time_tokens').where({ user_id: right.account }).count('* as n').first())!.n)).toBeGreaterThan(0);
  });
});
