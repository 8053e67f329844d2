// Found by an attack pass: two admins who took each other's admin role (or erased, blocked or locked each other's
// account) at the same moment both succeeded, each checked as an admin at the start of the request, and nobody was
// left to give the role or the account back but the command line. The second now waits for the first, finds its own
// role or account gone, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { loggedInPerson } from '../account/people.ts';
import { text } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
type Post = [path: string, form: Record<string, string>];

describe.skipIf(!has('postgres'))('two admins acting on each other at once, on PostgreSQL', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('postgres');
  });
  afterAll(() => idp?.close());

  /** Statements of the provider waiting for a row lock. */
  const waitingForRows = async () =>
    Number((await idp.db.raw(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`)).rows[0].n);
  /** The admins who can still act: the role, and an account they can log in to. */
  const admins = async () => (await idp.db('users').whereRaw(`roles::text like '%admin%'`).where({ status: 'active' }).pluck('username')).sort();

  it.each([
    ['take each other’s admin role', (id: string): Post => [`/admin/users/${id}/role`, { admin: 'off' }]],
    ['erase each other’s account', (id: string): Post => [`/admin/users/${id}/delete`, { confirm: 'on' }]],
    ['lock each other’s account', (id: string): Post => [`/admin/users/${id}/lock`, {}]],
    ['block each other’s account', (id: string): Post => [`/admin/users/${id}/block`, {}]],
  ])('%s: one of them does, the other is refused', async (_, action) => {
    const [a, b] = await Promise.all(['ann', 'bob'].map((n) => loggedInPerson(idp, `${n}.${Date.now()}`, PASSWORD, { roles: ['admin'] })));
    // Both requests past their login check before either changes anything: the two accounts' rows are held until both
    // wait for them. Left to chance, the second often starts after the first ended, already logged out or demoted.
    const held = await idp.db.transaction();
    await held('users').whereIn('id', [a!.user.id, b!.user.id]).forUpdate().pluck('id');
    const answering = Promise.all([a!.agent.post(...action(b!.user.id)), b!.agent.post(...action(a!.user.id))]);
    await expect.poll(() => waitingForRows(), { timeout: 10_000 }).toBe(2);
    await held.commit();
    const answers = await answering;
    expect(answers.map((r) => r.status).sort()).toEqual([200, 403]);
    expect(text(answers.find((r) => r.status === 403)!.html)).toContain('This page is for staff only.');
    const left = (await admins()).filter((n) => n === a!.user.username || n === b!.user.username);
    expect(left).toHaveLength(1);
    await idp.db('users').whereIn('id', [a!.user.id, b!.user.id]).delete();
  });
});
