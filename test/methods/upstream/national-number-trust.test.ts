// An upstream stating a national number finds the card-linked account with that number only when staff trust it
// with that (`idp upstreams add --trust-national-number`); otherwise the identity must first be linked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { createUserRepository } from '../../../provider/domain/accounts/repository.ts';
import { saveLink } from '../../../provider/domain/accounts/eid-links.ts';
import { accountOfIdentity } from '../../../provider/methods/upstream/account-of-identity.ts';
import type { Upstream } from '../../../provider/domain/upstreams/repository.ts';
import type { UpstreamIdentity } from '../../../provider/methods/upstream/identity.ts';
import { testDb } from '../../helpers/db.ts';

describe('an upstream trusted with the national number', () => {
  let db: Db;
  const users = createUserRepository({ uniqueEmail: true });
  const upstream = (trustNationalNumber: boolean): Upstream => ({
    slug: 'bank',
    name: 'My Bank',
    issuer: 'https://bank.example',
    clientId: 'c',
    sealedSecret: 's',
    scopes: 'openid',
    subjectClaim: 'national_number',
    uses: ['login', 'reactivation'],
    logoUrl: null,
    acrFromUpstream: false,
    trustNationalNumber,
    enabled: true,
  });
  const identity: UpstreamIdentity = {
    subjectKey: 'hmac-of-85073100328',
    label: 'Ann Peeters',
    givenName: 'Ann',
    familyName: 'Peeters',
    email: null,
    acr: null,
    amr: [],
    nationalNumberHmac: 'hmac-of-85073100328',
  };

  beforeAll(async () => {
    ({ db } = await testDb('pglite'));
    const ann = await users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'active' });
    await saveLink(db, { userId: ann.id, hmac: identity.nationalNumberHmac!, cardNumber: '592123456789' });
  });
  afterAll(() => db?.destroy());

  it('finds no account by the number alone unless staff turned the trust on', async () => {
    expect(await accountOfIdentity(db, users, upstream(false), identity)).toEqual({ user: undefined, vouches: false });
    // The trusted number stands in for the card at a reactivation, as the card would.
    expect(await accountOfIdentity(db, users, upstream(true), identity)).toMatchObject({ user: { username: 'ann' }, vouches: true });
  });
});
