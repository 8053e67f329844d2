// A reactivation takes an account back from whoever held it: a bank identity linked to it meanwhile (with the stolen
// password: linkAfterPassword) is a way in that needs no password, like a passkey, and must not outlive it either.
// Nor may such a link take the account back: only a link the account was made from (made_with sign_up) stands in
// for the eID card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import type { Services } from '../../../provider/app/server.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { addUpstream, findLink, findUpstream, saveLink, type LinkProof } from '../../../provider/domain/upstreams/repository.ts';
import { accountOfIdentity } from '../../../provider/methods/upstream/account-of-identity.ts';
import type { UpstreamIdentity } from '../../../provider/methods/upstream/identity.ts';
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
    await saveLink(db, { slug: 'bank', subjectKey: 'eve-at-bank', userId: ann.id, label: 'Eve', madeWith: 'login' });
    // Ann notices; staff block the account, and Ann takes it back with her eID (here: the card's place, her own bank proof).
    await users.setStatus(db, ann.id, 'blocked');
    ann = (await users.findById(db, ann.id))!;
    const reactivation = createReactivationService(services);
    const { binding } = newApiSecret();
    const flow = await reactivation.start(ANN, { ip: OWNER }, binding);
    await reactivation.vouchedByUpstream(flow.id, ann, 'eID', true, { ip: OWNER }, binding);
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

  it.each<[LinkProof | null, boolean]>([
    ['login', false],
    [null, false],
    ['sign_up', true],
  ])('lets a bank identity linked with %s stand in for the eID card at a reactivation: %s', async (madeWith, vouches) => {
    const { users } = services;
    const name = `bo.${madeWith ?? 'before'}`;
    const mobile = `+3247099${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
    const bo = await users.create(db, { username: name, email: `${name}@example.be`, emailVerified: true, status: 'active', locale: 'en' });
    await users.setVerifiedPhone(db, bo.id, mobile);
    // null: a link made before links recorded how (saveLink always says now).
    await saveLink(db, { slug: 'bank', subjectKey: `${name}-at-bank`, userId: bo.id, label: 'Bo', madeWith: madeWith ?? 'login' });
    if (madeWith === null) await db('upstream_links').where({ user_id: bo.id }).update({ made_with: null });
    const identity = { subjectKey: `${name}-at-bank`, nationalNumberHmac: null } as UpstreamIdentity;
    const named = await accountOfIdentity(db, users, (await findUpstream(db, 'bank'))!, identity);
    expect([named.user?.id, named.vouches]).toEqual([bo.id, vouches]);

    await users.setStatus(db, bo.id, 'blocked');
    const reactivation = createReactivationService(services);
    const { binding } = newApiSecret();
    const flow = await reactivation.start(mobile, { ip: OWNER }, binding);
    const blocked = (await users.findById(db, bo.id))!;
    const answer = reactivation.vouchedByUpstream(flow.id, blocked, 'Bank', named.vouches, { ip: OWNER }, binding);
    if (vouches) {
      expect((await answer).state).toBe('card_checked');
    } else {
      await expect(answer).rejects.toMatchObject({ code: 'upstream_link_cannot_vouch', status: 403 });
      // Nothing moved: the same flow still waits for the card, which the owner may use.
      expect((await reactivation.get(flow.id, binding)).state).toBe('awaiting_card');
      expect(await db('audit_log').where({ user_id: bo.id, event: 'reactivation.upstream_refused' }).pluck('details')).toEqual([
        expect.objectContaining({ flow: flow.id, upstream: 'Bank', reason: 'login_link' }),
      ]);
    }
  });
});
