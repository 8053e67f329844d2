// The account pages' own client (belid-self) is registered by the process that serves them, at its ISSUER. An `idp`
// command run from a shell that lacks the server's settings (the attack pass ran `idp users list` without PORT and
// ISSUER) opened the services and registered it again at http://localhost:3000: the running provider's /account
// login broke until a command with the right settings ran.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../helpers/components.ts';
import { runCli, startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { fromJsonColumn } from '../../provider/platform/db/knex.ts';
import { SELF_CLIENT_ID } from '../../provider/oidc/self-client.ts';

describe.skipIf(!has('postgres'))('the account pages client, after a command from another shell', { timeout: 120_000 }, () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('postgres')));
  afterAll(() => idp?.close());

  const redirectUris = async () => {
    const row = await idp.db('oidc_models').where({ model: 'Client', id: SELF_CLIENT_ID }).first();
    return fromJsonColumn<{ redirect_uris: string[] }>(row.payload).redirect_uris;
  };

  it('keeps the address of the process that serves them', async () => {
    expect(await redirectUris()).toEqual([`${idp.issuer}/self/callback`]);
    const env = { DATABASE_URL: idp.databaseUrl!, NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' };
    const listed = await runCli(['users', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(await redirectUris()).toEqual([`${idp.issuer}/self/callback`]);
  });
});
