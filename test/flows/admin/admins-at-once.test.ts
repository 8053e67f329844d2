// Found by an attack pass: two admins who took each other's admin role (or erased each other's account) at the same
// moment both succeeded, each checked as an admin at the start of the request, and nobody was left to give the role
// back but the command line. The second now waits for the first, finds its own role gone, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { loggedInPerson } from '../account/people.ts';

const PASSWORD = 'correct horse battery staple';
type Post = [path: string, form: Record<string, string>];

describe.skipIf(!has('postgres'))('two admins acting on each other at once, on PostgreSQL', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('postgres');
  });
  afterAll(() => idp?.close());

  const admins = async () => (await idp.db('users').whereRaw(`roles::text like '%admin%'`).pluck('username')).sort();

  it.each([
    ['take each other’s admin role', (id: string): Post => [`/admin/users/${id}/role`, { admin: 'off' }]],
    ['erase each other’s account', (id: string): Post => [`/admin/users/${id}/delete`, { confirm: 'on' }]],
  ])('%s: one of them does, the other is refused', async (_, action) => {
    const [a, b] = await Promise.all(['ann', 'bob'].map((n) => loggedInPerson(idp, `${n}.${Date.now()}`, PASSWORD, { roles: ['admin'] })));
    const answers = await Promise.all([a!.agent.post(...action(b!.user.id)), b!.agent.post(...action(a!.user.id))]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 403]);
    const left = (await admins()).filter((n) => n === a!.user.username || n === b!.user.username);
    expect(left).toHaveLength(1);
    await idp.db('users').whereIn('id', [a!.user.id, b!.user.id]).delete();
  });
});
