// What staff do to a person is part of that person's trail: blocked, unblocked, put in an organisation, on the pages
// or with `idp`, and each time staff opened the person's page. The person finds it in their own data and staff find it under the person's name (on /admin/audit,
// on the person's page, with `idp audit --user`); the staff member's own data names them only as the one who acted,
// not the people they acted on. Rows written before, with the person in `details.account`, are moved to match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { testDb, type DbKind } from '../../helpers/db.ts';
import { idp as cli } from '../../helpers/cli.ts';
import { Agent, text } from '../account/agent.ts';
import { down, up } from '../../../migrations/20261207000100_audit_subject.ts';

const PASSWORD = 'correct horse battery staple';
const table = (html: string) => text(/<table id="audit-events">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '');

async function exportOf(username: string, issuer: string): Promise<{ raw: string; events: { event: string; details: Record<string, unknown> }[] }> {
  const agent = new Agent(issuer);
  await agent.login(username, PASSWORD);
  const raw = await (await agent.raw('/account/data/export')).text();
  return { raw, events: (JSON.parse(raw) as { events: { event: string; details: Record<string, unknown> }[] }).events };
}

describe("staff's actions in the trail of the person they act on", () => {
  let idp: TestProvider;
  let staff: Agent;
  let staffId: string;
  let bobId: string;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    staffId = (await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] }))
      .id;
    bobId = (await users.create(db, { username: 'bob', email: 'bob@example.be', emailVerified: true, passwordHash, status: 'active' })).id;
    staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, '/admin/users?q=bob');
  });
  afterAll(() => idp?.close());

  it("shows a block under the person on /admin/audit, on their page and in idp audit, and under the staff member's name as theirs to answer for", async () => {
    await staff.post(`/admin/users/${bobId}/block`, {});
    expect(table((await staff.get('/admin/audit?user=bob')).html)).toMatch(/admin\.blocked bob /);
    expect(text((await staff.get(`/admin/users/${bobId}`)).html)).toContain('admin.blocked');
    // Staff's search for the staff member finds what they did to others too (details.by); their own export does not.
    expect(table((await staff.get('/admin/audit?user=staff')).html)).toMatch(/admin\.blocked bob /);
    const printed = await cli(idp, ['audit', '--user', 'bob', '--type', 'admin.*']);
    expect(printed.out).toMatch(new RegExp(`admin\\.blocked {2}bob {2}\\S+ {2}\\{"by":"${staffId}","previous":"active"\\}\\n$`));
  });

  it("puts what staff did in the person's own data, naming the staff member as the person pages do, and not in the staff member's", async () => {
    await staff.post(`/admin/users/${bobId}/unblock`, {});
    await cli(idp, ['orgs', 'create', 'Stad Gent']);
    await cli(idp, ['orgs', 'add-member', 'Stad Gent', 'bob']);
    const { id: org } = await idp.db('organisations').where({ name: 'Stad Gent' }).first<{ id: string }>('id');

    const bob = await exportOf('bob', idp.issuer);
    expect(bob.events.filter((e) => e.event.startsWith('admin.')).map((e) => [e.event, e.details])).toEqual([
      ['admin.organisation_member_added', { organisation: org, via: 'cli' }],
      ['admin.unblocked', { status: 'active', by: staffId }],
      ['admin.person_viewed', { by: staffId }],
      ['admin.blocked', { previous: 'active', by: staffId }],
    ]);
    expect(bob.raw).not.toContain('staff@example.be');

    const own = await exportOf('staff', idp.issuer);
    expect(own.raw).not.toContain(bobId);
    expect(own.events.map((e) => e.event)).not.toContain('admin.blocked');
  });
});

describe.each(['pglite', ...(has('postgres') ? ['postgres' as const] : [])] as DbKind[])('the migration of older staff events (%s)', (kind) => {
  it('moves the person from details.account to user_id and who acted to details.by, and drops those of erased accounts', async () => {
    const { db } = await testDb(kind);
    try {
      const [staffId, bobId, erasedId, invitationId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      for (const [id, username] of [
        [staffId, 'staff'],
        [bobId, 'bob'],
      ] as const)
        await db('users').insert({ id, sub: randomUUID(), username, status: 'active' });
      const old = (event: string, userId: string | null, details: Record<string, unknown>) => ({ event, user_id: userId, details: JSON.stringify(details) });
      await db('audit_log').insert([
        old('admin.blocked', staffId, { account: bobId, previous: 'active' }),
        old('admin.password_set', null, { account: bobId, via: 'cli' }),
        old('registration.approved', null, { invitation: invitationId, account: bobId, username: 'bob', previous: 'bob' }),
        old('admin.locked', staffId, { account: erasedId, previous: 'active' }),
        old('admin.deleted', null, { account: erasedId, by: staffId }),
        old('registration.rejected', staffId, { invitation: invitationId, username: 'eva' }),
        old('login.success', bobId, { method: 'password' }),
      ]);

      await up(db);

      const rows = await db('audit_log').orderBy('id').select('event', 'user_id', 'details');
      expect(rows.map((r) => [r.event, r.user_id, r.details])).toEqual([
        ['admin.blocked', bobId, { previous: 'active', by: staffId }],
        ['admin.password_set', bobId, { via: 'cli' }],
        ['registration.approved', bobId, { invitation: invitationId, username: 'bob', previous: 'bob', via: 'cli' }],
        ['admin.deleted', erasedId, { by: staffId }],
        ['registration.rejected', null, { invitation: invitationId, username: 'eva', by: staffId }],
        ['login.success', bobId, { method: 'password' }],
      ]);

      await down(db);
      expect(await db('audit_log').where({ event: 'admin.blocked' }).first('user_id', 'details')).toEqual({
        user_id: staffId,
        details: { account: bobId, previous: 'active' },
      });
    } finally {
      await db.destroy();
    }
  });
});
