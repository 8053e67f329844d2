// The account behind a token, kept ACCOUNT_CACHE_SECONDS per process for its claims: a changed name reaches the apps
// within that time, while a blocked account's tokens stop at once, cache or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { changeAccountStatus } from '../../provider/domain/accounts/staff-status.ts';
import { Agent } from '../flows/account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';

describe('the claims cache', () => {
  let idp: TestProvider;
  let rp: client.Configuration;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { ACCOUNT_CACHE_SECONDS: '2' });
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'lien', givenName: 'Lien', passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    const c = await createClient(idp.services.provider(), { name: 'Portal', redirectUris: [REDIRECT], firstParty: true });
    rp = await discover(idp.issuer, c.client_id, c.client_secret);
  });
  afterAll(() => idp?.close());

  it('releases a changed name within ACCOUNT_CACHE_SECONDS, and ends a blocked account at once', async () => {
    const { db, users, tokens: tokenService } = idp.services;
    const agent = new Agent(idp.issuer);
    await agent.login('lien', PASSWORD);
    const tokens = await agent.authorize(rp, REDIRECT, 'openid profile offline_access', undefined, { prompt: 'consent' });
    const sub = tokens.claims()!.sub;
    expect(await client.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ given_name: 'Lien' });

    const lien = (await users.findBySub(db, sub))!;
    await db('users').where({ id: lien.id }).update({ given_name: 'Lieve' });
    expect(await client.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ given_name: 'Lien' });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await client.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ given_name: 'Lieve' });

    // Read again just now, the account is in the cache as active when staff block it.
    const blocked = (await users.findBySub(db, sub))!;
    await db.transaction((trx) => changeAccountStatus(trx, { users, tokens: tokenService }, blocked, 'block', {}));
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toThrow();
  });
});
