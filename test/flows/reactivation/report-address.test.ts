// The "it was not me" link of a reactivation's mail is the mailbox's way to lock the account: once the owner moves the
// account to another address, the old mailbox (maybe the very person who had taken it) must not lock her out with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import type { Services } from '../../../provider/app/server.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { createEmailChange } from '../../../provider/domain/accounts/email-change.ts';
import { testServices } from '../../helpers/services.ts';

const ANN = '+32470123456';

describe('the report link of a reactivation after an address change', () => {
  let db: Db;
  let services: Services;

  beforeAll(async () => {
    ({ db, services } = await testServices());
  });
  afterAll(() => db?.destroy());

  it('no longer locks the account once the owner moved it to another address', async () => {
    const { users } = services;
    // Eve had taken the account and put her address on it; Ann takes it back with her bank.
    let ann = await services.users.create(db, { username: 'ann', email: 'eve@example.be', emailVerified: true, status: 'blocked', locale: 'en' });
    await users.setVerifiedPhone(db, ann.id, ANN);
    ann = (await users.findById(db, ann.id))!;
    const reactivation = createReactivationService(services);
    const { binding } = newApiSecret();
    const flow = await reactivation.start(ANN, { ip: '203.0.113.7' }, binding);
    await reactivation.vouchedByUpstream(flow.id, ann, 'My Bank', true, { ip: '203.0.113.7' }, binding);
    const { token } = await reactivation.issueToken(flow.id, { ip: '203.0.113.7' }, binding);
    const redeemed = await reactivation.redeem(ANN, token, { ip: '203.0.113.7', locale: 'en' }, binding);
    if (redeemed.status !== 'ok') throw new Error(redeemed.status);
    const sms = await db('outbox').where({ channel: 'sms', recipient: ANN }).orderBy('created_at', 'desc').first();
    const code = /(\d{6})/.exec(sms.body_text)![1]!;
    expect((await reactivation.confirmPhone(redeemed.flow, code)).status).toBe('ok');
    const account = await reactivation.account(redeemed.flow.id, binding);
    expect((await reactivation.complete(account, 'a long new passphrase 42!', { ip: '203.0.113.7', locale: 'en' })).status).toBe('ok');

    // The mail that tells of it goes to the address the account had: Eve's, with the link that locks.
    const mail = await db('outbox').where({ channel: 'email', recipient: 'eve@example.be' }).orderBy('created_at', 'desc').first();
    const reportToken = /\/reactivation\/report\/([\w-]+)/.exec(JSON.stringify(mail))![1]!;

    // Ann moves her account to her own address at once.
    ann = (await users.findById(db, ann.id))!;
    const emailChange = createEmailChange(services);
    expect((await emailChange.start(ann, 'ann@example.be', 'en')).ok).toBe(true);
    const verify = await db('outbox').where({ channel: 'email', recipient: 'ann@example.be' }).orderBy('created_at', 'desc').first();
    const verifyToken = /token=([\w-]+)/.exec(JSON.stringify(verify))![1]!;
    expect((await emailChange.confirm(db, verifyToken)).status).toBe('ok');

    // Eve's link from the old mailbox no longer locks Ann out.
    expect(await reactivation.reportable(reportToken)).toBe(false);
    expect(await reactivation.report(reportToken, { ip: '198.51.100.66' })).toBe('invalid');
    expect((await users.findById(db, ann.id))!.status).toBe('active');
  });
});
