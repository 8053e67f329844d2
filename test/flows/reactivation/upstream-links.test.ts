// A reactivation takes an account back from whoever held it: a bank identity linked to it meanwhile (with the stolen
// password: linkAfterPassword) is a way in that needs no password, like a passkey, and must not outlive it either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import type { Services } from '../../../provider/app/server.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { addUpstream, findLink, saveLink } from '../../../provider/domain/upstreams/repository.ts';
import { secretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import { testServices } from '../../helpers/services.ts';

const ANN = '+32470123456';
const OWNER = '203.0.113.7';

describe('the bank identities linked to an account, at its reactivation', () => {
  let db: Db;
  let services: Services;

  beforeAll(async () => {
    ({ db, services } = await testServices());
    await addUpstream(db, secretBox('k'.repeat(32)), { slug: 'bank', name: 'Bank', issuer: 'https://bank.example', clientId: 'c', clientSecret: 's' });
  });
  afterAll(() => db?.destroy());

  it('no longer lets the identity that someone else linked meanwhile log in as the owner, nor reactivate her account', async () => {
    const { users } = services;
    let ann = await users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'active', locale: 'en' });
    await users.setVerifiedPhone(db, ann.id, ANN);
    // Eve, with Ann's phished password, links her own bank login to Ann's account (the login page's "link" step).
    await saveLink(db, { slug: 'bank', subjectKey: 'eve-at-bank', userId: ann.id, label: 'Eve' });
    // Ann notices; staff block the account, and Ann takes it back with her eID (here: the card's place, her own bank proof).
    await users.setStatus(db, ann.id, 'blocked');
    ann = (await users.findById(db, ann.id))!;
    const reactivation = createReactivationService(services);
    const { binding } = newApiSecret();
    const flow = await reactivation.start(ANN, { ip: OWNER }, binding);
    await reactivation.vouchedByUpstream(flow.id, ann, 'eID', { ip: OWNER }, binding);
    const { token } = await reactivation.issueToken(flow.id, { ip: OWNER }, binding);
    const redeemed = await reactivation.redeem(ANN, token, { ip: OWNER, locale: 'en' }, binding);
    if (redeemed.status !== 'ok') throw new Error(redeemed.status);
    const sms = await db('outbox').where({ channel: 'sms', recipient: ANN }).orderBy('created_at', 'desc').first();
    expect((await reactivation.confirmPhone(redeemed.flow, /(\d{6})/.exec(sms.body_text)![1]!)).status).toBe('ok');
    const account = await reactivation.account(redeemed.flow.id, binding);
    expect((await reactivation.complete(account, 'a long new passphrase 42!', { ip: OWNER, locale: 'en' })).status).toBe('ok');

    // What Eve's bank login (and a reactivation "with Bank") finds: no account any more.
    expect(await findLink(db, 'bank', 'eve-at-bank')).toBeUndefined();
  });
});
