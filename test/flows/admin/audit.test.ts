// "What happened to this person?" answered without SQL: staff filter the audit trail by person, event family and
// date on /admin/audit, page through it without gaps or repeats, export the selection as JSON lines (an export is
// itself audited), and `idp audit` prints the same. Only staff reach it; retention deletes old events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { audit } from '../../../provider/platform/audit.ts';
import { purgeAudit } from '../../../provider/platform/audit-trail.ts';
import { Agent, text } from '../account/agent.ts';
import { inStaffBrowser } from './staff-browser.ts';
import { nameCorrections } from '../../../provider/domain/accounts/name-corrections.ts';
import { axeViolations } from '../../helpers/axe.ts';

const PASSWORD = 'correct horse battery staple';
/** What the events table says, without the page's help texts around it. */
const table = (html: string) => text(/<table id="audit-events">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '');

describe('the audit trail for staff', () => {
  let idp: TestProvider;
  let staff: Agent;
  let miaId: string;

  beforeAll(async () => {
    idp = await startTestProvider('postgres');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] });
    miaId = (await users.create(db, { username: 'mia', email: 'mia@example.be', emailVerified: true, passwordHash, status: 'active' })).id;
    // An old event of Mia's, on a known day.
    await db('audit_log').insert({
      event: 'recovery.requested',
      user_id: miaId,
      ip: '192.0.2.7',
      details: JSON.stringify({ accounts: 1 }),
      at: new Date('2026-01-10T09:30:00Z'),
    });
    const mia = new Agent(idp.issuer);
    expect(text((await mia.submitLogin(await mia.get('/self/login?return_to=/account'), 'mia', 'not her password')).html)).toContain(
      'The username, e-mail address or password is not correct.',
    );
    await mia.login('mia', PASSWORD);
    staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, '/admin/audit');
  });
  afterAll(() => idp?.close());

  it('is for staff only', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD);
    expect((await mia.get('/admin/audit')).status).toBe(403);
    expect((await mia.get('/admin/audit/export')).status).toBe(403);
  });

  it("shows one person's events, newest first, by family and by day", async () => {
    const page = table((await staff.get('/admin/audit?user=mia@example.be')).html);
    expect(page).toMatch(/login\.success mia .*login\.failure mia .*recovery\.requested mia 192\.0\.2\.7/);
    expect(page).not.toContain('staff');

    const logins = table((await staff.get('/admin/audit?user=mia&type=login.*')).html);
    expect(logins).toContain('login.failure');
    expect(logins).not.toContain('recovery.requested');

    const day = table((await staff.get('/admin/audit?user=mia&since=2026-01-10&until=2026-01-10')).html);
    // 09:30 UTC in TIME_ZONE (Europe/Brussels), with its offset, as `idp audit` prints it.
    expect(day).toMatch(/2026-01-10 10:30:00 \+01:00 recovery\.requested mia 192\.0\.2\.7 \{"accounts":1\}$/);
    expect(day).not.toContain('login.');

    expect(text((await staff.get('/admin/audit?user=nobody')).html)).toContain('No account has the username or e-mail address “nobody”.');
  });

  it('names a bad filter at its field and shows nothing else', async () => {
    const bad = await staff.get('/admin/audit?type=login%25&since=yesterday');
    expect(bad.html).toMatch(/id="type"[^>]*aria-invalid="true"/);
    expect(text(bad.html)).toContain('Enter an event name such as login.failure, or a family such as login.*.');
    expect(text(bad.html)).toContain('Enter a date such as 2026-12-01.');
    expect(bad.html).not.toContain('id="audit-events"');
  });

  it('pages through many events without gaps or repeats', async () => {
    for (let i = 0; i < 60; i++) await audit(idp.db, 'test.paging', { userId: miaId, details: { i } });
    const seen: number[] = [];
    let path: string | undefined = '/admin/audit?type=test.paging';
    while (path) {
      const page = await staff.get(path);
      seen.push(...[...page.html.matchAll(/{&quot;i&quot;:(\d+)}/g)].map((m) => Number(m[1])));
      path = /<a href="([^"]+)">Older events<\/a>/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
  });

  it('exports the selection as JSON lines, and records the export', async () => {
    const res = await staff.raw('/admin/audit/export?user=mia&type=login.*');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.jsonl"$/);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; user: { username: string } });
    // Newest first: Mia's logins (one more in the staff-only test), then her one failure.
    expect(lines.map((l) => l.event).slice(-2)).toEqual(['login.success', 'login.failure']);
    expect(new Set(lines.map((l) => l.event))).toEqual(new Set(['login.success', 'login.failure']));
    expect(lines.every((l) => l.user.username === 'mia')).toBe(true);
    const recorded = await idp.db('audit_log').where({ event: 'admin.audit_exported' }).first();
    expect(recorded.details).toEqual({ filters: { user: 'mia', type: 'login.*', since: '', until: '' } });
  });

  it('records each showing of the trail and its export under the staff member with the filters (a national number as its hash), left out of the trail unless its event filter asks', async () => {
    await staff.get('/admin/audit?user=mia&type=login.*');
    await staff.get('/admin/audit?user=85.07.30-033.28');
    await staff.raw('/admin/audit/export?user=85073003328');
    const views = table((await staff.get('/admin/audit?user=staff&type=admin.*')).html);
    const hashed = '"user":\\{"national_number_hmac":"[0-9a-f]{64}"\\}';
    expect(views).toMatch(
      new RegExp(
        `Details \\S+ \\S+ \\S+ admin\\.audit_exported staff \\S+ \\{"filters":\\{"type":"",${hashed},"since":"","until":""\\}\\} ` +
          `\\S+ \\S+ \\S+ admin\\.audit_viewed staff \\S+ \\{"events":0,"filters":\\{"type":"",${hashed},"since":"","until":""\\}\\} ` +
          `\\S+ \\S+ \\S+ admin\\.audit_viewed staff \\S+ \\{"events":\\d+,"filters":\\{"type":"login\\.\\*","user":"mia","since":"","until":""\\}\\}`,
      ),
    );
    expect(JSON.stringify(await idp.db('audit_log').select('details'))).not.toMatch(/85\D?07\D?30\D?033\D?28/);
    expect(table((await staff.get('/admin/audit?user=staff')).html)).not.toContain('admin.audit_viewed');
  });

  it('records which page of the trail was shown, an older one by where it starts', async () => {
    const first = await staff.get('/admin/audit?user=mia&limit=1');
    const older = /href="(\/admin\/audit\?[^"]*before=(\d+)[^"]*)"/.exec(first.html)!;
    await staff.get(older[1]!.replace(/&amp;/g, '&'));
    const [latest] = await idp.db('audit_log').where({ event: 'admin.audit_viewed' }).orderBy('id', 'desc').limit(1).pluck('details');
    expect(latest).toMatchObject({ filters: { user: 'mia', before: older[2] } });
  });

  it('records each showing of a waiting review queue under the staff member, with how many it listed', async () => {
    await staff.get('/admin');
    await nameCorrections.request(idp.db, miaId, { givenName: 'Mia', familyName: 'Maes-Peeters' });
    await staff.get('/admin');
    const views = table((await staff.get('/admin/audit?user=staff&type=admin.queue_viewed')).html);
    expect(views).toMatch(/Details \S+ \S+ \S+ admin\.queue_viewed staff \S+ \{"corrections":1,"registrations":0\}$/);
  });

  // Three `idp` processes: slow on a loaded 2-core machine.
  it('prints the same in a terminal with idp audit', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: idp.databaseUrl! };
    const plain = await runCli(['audit', '--user', 'mia', '--type', 'recovery.*'], env);
    expect(plain.code, plain.stderr).toBe(0);
    // In TIME_ZONE (Europe/Brussels by default) with its offset: the time staff read on the pages, unambiguous.
    expect(plain.stdout).toBe('2026-01-10 10:30:00 +01:00  recovery.requested  mia  192.0.2.7  {"accounts":1}\n');
    const json = await runCli(['audit', '--user', 'mia', '--since', '2026-01-01', '--until', '2026-01-31', '--json'], env);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event: string }).event),
    ).toEqual(['recovery.requested']);
    const bad = await runCli(['audit', '--since', 'last week'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--since: Enter a date such as 2026-12-01.');
  });

  it('passes axe at a phone width and a desktop width, in Dutch too', async () => {
    await inStaffBrowser(staff, idp.issuer, async (page, locale) => {
      await page.goto(`${idp.issuer}/admin/audit?user=mia`);
      if (locale === 'nl') expect(await page.locator('h1').innerText()).toBe('Auditlogboek');
      expect(await axeViolations(page)).toEqual([]);
    });
  });

  it('deletes events older than the retention', async () => {
    expect(await purgeAudit(idp.db, 365, new Date('2027-01-11T00:00:00Z'))).toBe(1);
    expect(await idp.db('audit_log').where({ user_id: miaId, event: 'recovery.requested' }).first()).toBeUndefined();
  });
});
