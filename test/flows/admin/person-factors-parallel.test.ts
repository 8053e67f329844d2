// A removal clicked twice, or by two staff at once, on PostgreSQL where the requests really run side by side: the
// thing goes once, with one audit event and one mail to the person; every request gets a clear answer (the person
// page saying it is gone, or "not found" once it is).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text } from '../account/agent.ts';
import { storedPasskey } from '../../helpers/passkeys.ts';
import { enrolOnAccount } from '../../helpers/totp.ts';

const PASSWORD = 'correct horse battery staple';

describe('removals sent several times at once', { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let desks: Agent[];
  let personId: string;
  let passkeyId: string;

  beforeAll(async () => {
    idp = await startTestProvider('postgres');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    for (const username of ['desk1', 'desk2']) await users.create(db, { username, passwordHash, status: 'active', roles: ['admin'] });
    personId = (await users.create(db, { username: 'sam', email: 'sam@example.be', emailVerified: true, passwordHash, status: 'active' })).id;
    await users.setVerifiedPhone(db, personId, '+32470111222');
    const sam = new Agent(idp.issuer);
    await sam.login('sam', PASSWORD);
    await enrolOnAccount(sam);
    passkeyId = (await storedPasskey(db, personId, 'Lost phone')).id;
    desks = [new Agent(idp.issuer), new Agent(idp.issuer)];
    await desks[0]!.login('desk1', PASSWORD, '/admin/users');
    await desks[1]!.login('desk2', PASSWORD, '/admin/users');
  });
  afterAll(() => idp?.close());

  it.each([
    ['the mobile number', '/phone/remove', 'admin.phone_removed', 'Your mobile number was removed from your account', 'The mobile number has been removed'],
    [
      'the authenticator app',
      '/second-factor/remove',
      'second_factor.removed',
      'The authenticator app was removed from your account',
      'The authenticator app and the recovery codes have been removed',
    ],
    ['a passkey', '/passkeys/:passkey/remove', 'passkey.removed', 'A passkey was removed from your account', 'The passkey has been removed'],
  ])('removes %s once', async (_, route, event, subject, notice) => {
    const path = `/admin/users/${personId}${route.replace(':passkey', passkeyId)}`;
    const answers = await Promise.all([...desks, ...desks, ...desks].map((desk) => desk.post(path, {})));
    for (const a of answers) {
      if (a.status === 404) expect(text(a.html)).toContain('Page not found');
      else expect([a.status, text(a.html)]).toEqual([200, expect.stringContaining(notice)]);
    }
    expect(await idp.db('audit_log').where({ user_id: personId, event })).toHaveLength(1);
    expect(await idp.db('outbox').where({ user_id: personId, subject })).toHaveLength(1);
  });
});
