// Staff pages for organisations: only the admin role reaches them; create, members, and the "does not notify" switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { findOrganisation, memberIds } from '../../../provider/domain/accounts/organisations.ts';
import { Agent, text } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';

describe('organisation admin pages', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] });
    await users.create(db, {
      username: 'mia',
      email: 'mia@example.be',
      emailVerified: true,
      givenName: 'Mia',
      familyName: 'Maes',
      passwordHash,
      status: 'active',
    });
  });
  afterAll(() => idp?.close());

  it('is for staff only', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD);
    expect((await mia.get('/admin/organisations')).status).toBe(403);
    expect((await mia.post('/admin/organisations', { name: 'Sneaky', notify: 'on' })).status).toBe(403);
    expect(await findOrganisation(idp.db, 'Sneaky')).toBeUndefined();
  });

  it('creates an organisation, adds and removes members, and switches notifications off and on', async () => {
    const staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, '/admin/organisations');
    let page = await staff.post('/admin/organisations', { name: 'Crisis cell Liège' });
    expect(text(page.html)).toContain('The organisation has been created.');
    const org = (await findOrganisation(idp.db, 'crisis cell liège'))!;
    expect(org.notify).toBe(false);
    expect(page.url).toBe(`${idp.issuer}/admin/organisations/${org.id}?notice=created`);
    expect(text(page.html)).toContain('does not send notifications');

    const dup = await staff.post('/admin/organisations', { name: 'CRISIS CELL LIÈGE', notify: 'on' });
    expect(dup.status).toBe(400);
    expect(text(dup.html)).toContain('An organisation with this name already exists.');

    const unknown = await staff.post(`/admin/organisations/${org.id}/members`, { username: 'nobody' });
    expect(unknown.status).toBe(400);
    expect(unknown.html).toMatch(
      /aria-invalid="true" aria-describedby="username-error">\s*<ul class="field-error" id="username-error"><li>No account has this username\.<\/li>/,
    );
    page = await staff.post(`/admin/organisations/${org.id}/members`, { username: 'MIA' });
    expect(text(page.html)).toContain('The member has been added.');
    expect(text(page.html)).toContain('mia Mia Maes mia@example.be Remove');

    page = await staff.post(`/admin/organisations/${org.id}/notify`, { notify: 'on' });
    expect(text(page.html)).toContain('This organisation sends notifications again.');
    expect((await findOrganisation(idp.db, org.id))!.notify).toBe(true);
    expect(text((await staff.get('/admin/organisations')).html)).toContain('Crisis cell Liège 1 sends notifications');

    const miaId = (await idp.services.users.findByIdentifier(idp.db, 'mia', 'username'))[0]!.id;
    page = await staff.post(`/admin/organisations/${org.id}/members/${miaId}/remove`, {});
    expect(text(page.html)).toContain('No members yet.');
    expect(await memberIds(idp.db, org.id)).toEqual([]);
    const audit = await idp.db('audit_log').where('event', 'like', 'admin.organisation%').orderBy('id').pluck('event');
    expect(audit).toEqual(['admin.organisation_created', 'admin.organisation_member_added', 'admin.organisation_notify', 'admin.organisation_member_removed']);
  });

  it("records each showing of an organisation's members under the staff member, with how many it listed; none while it lists nobody", async () => {
    const staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, '/admin/organisations');
    await staff.post('/admin/organisations', { name: 'Helpdesk' });
    const org = (await findOrganisation(idp.db, 'helpdesk'))!;
    await staff.post(`/admin/organisations/${org.id}/members`, { username: 'mia' });
    const audit = await staff.get('/admin/audit?user=staff&type=admin.members_viewed');
    const trail = text(/<table id="audit-events">[\s\S]*?<\/table>/.exec(audit.html)?.[0] ?? '');
    expect(trail).toMatch(new RegExp(`Details \\S+ \\S+ \\S+ admin\\.members_viewed staff \\S+ \\{"members":1,"organisation":"${org.id}"\\}`));
    expect(trail.split(org.id)).toHaveLength(2);
  });
});
