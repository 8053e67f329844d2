// Found by an attack pass: blocking or locking an account with the admin role takes it away as surely as taking the
// role or erasing it (a locked admin cannot log in to unlock anyone), yet a staff session left open all day could do
// it. Acting on an admin now asks for a recent login, as the role and erasure do; a plain person's block or lock
// stays the helpdesk's routine, without the password again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text, withOlderLogin } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';

describe('blocking or locking an admin on the staff pages', () => {
  let idp: TestProvider;
  let frank: Agent;
  let aliceId: string;
  let paulId: string;

  const statusOf = async (id: string) => (await idp.services.users.findById(idp.db, id))!.status;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    const person = (username: string, roles: string[] = []) =>
      users.create(db, { username, email: `${username}@example.be`, emailVerified: true, passwordHash, status: 'active', roles });
    await person('frank', ['admin']);
    aliceId = (await person('alice', ['admin'])).id;
    paulId = (await person('paul')).id;
    frank = new Agent(idp.issuer);
    await frank.login('frank', PASSWORD, '/admin/users?q=alice');
  });
  afterAll(() => idp?.close());

  it('sends staff whose login is older than five minutes to log in again before blocking or locking an admin', async () => {
    const stale = withOlderLogin(frank, idp.services.cookieKeys[0]!, 600);
    for (const action of ['lock', 'block']) {
      const asked = await stale.raw(`/admin/users/${aliceId}/${action}`, { form: { q: 'alice' } });
      const to = new URL(asked.headers.get('location') ?? '', idp.issuer);
      expect([action, asked.status, to.pathname, to.searchParams.get('max_age'), to.searchParams.get('prompt')]).toEqual([
        action,
        302,
        '/self/login',
        '0',
        'login',
      ]);
    }
    expect(await statusOf(aliceId)).toBe('active');
    expect(await idp.db('audit_log').where({ user_id: aliceId }).whereIn('event', ['admin.locked', 'admin.blocked'])).toEqual([]);
    // The password typed again, the lock goes through.
    const login = await stale.get(`/self/login?max_age=0&prompt=login&return_to=${encodeURIComponent('/admin/users?q=alice')}`);
    await stale.submitLogin(login, 'frank', PASSWORD);
    expect(text((await stale.post(`/admin/users/${aliceId}/lock`, { q: 'alice' })).html)).toContain(
      'alice is locked and logged out everywhere. Only staff can unlock the account.',
    );
    expect(await statusOf(aliceId)).toBe('locked');
  });

  it('blocks and locks a plain person with the same stale session, and unblocks anyone with it', async () => {
    const stale = withOlderLogin(frank, idp.services.cookieKeys[0]!, 600);
    expect(text((await stale.post(`/admin/users/${paulId}/block`, { q: 'paul' })).html)).toContain('paul is blocked and logged out everywhere.');
    expect(await statusOf(paulId)).toBe('blocked');
    expect(text((await stale.post(`/admin/users/${paulId}/lock`, { q: 'paul' })).html)).toContain('paul is locked and logged out everywhere.');
    expect(await statusOf(paulId)).toBe('locked');
    // Giving an account back takes nothing away: no password again, an admin's neither.
    for (const [id, name] of [
      [paulId, 'paul'],
      [aliceId, 'alice'],
    ] as const) {
      expect(text((await stale.post(`/admin/users/${id}/unblock`, { q: name })).html)).toContain(`${name} is unblocked.`);
      expect(await statusOf(id)).toBe('active');
    }
  });
});
