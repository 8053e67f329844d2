// "It was not me": the link in the mail that tells of a reactivation locks the account, ends its sessions, and works
// once; the page before the button says what locking does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { REACTIVATION_REPORT_PURPOSE } from '../../../provider/domain/accounts/reset-link.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';

describe('reporting a reactivation that was not the owner', () => {
  let idp: TestProvider;
  let ann: User;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users } = idp.services;
    ann = await users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'active', locale: 'en' });
  });
  afterAll(() => idp?.close());

  /** GET then POST the link's page as a browser does: its CSRF cookie and form token. */
  async function report(path: string) {
    const page = await fetch(`${idp.issuer}${path}`, { headers: { 'accept-language': 'en' } });
    const html = await page.text();
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const posted = await fetch(`${idp.issuer}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    return { page: { status: page.status, html }, posted: { status: posted.status, html: await posted.text() } };
  }

  it('locks the account at once, ends its sessions, and works once', async () => {
    const { db, tokens, users } = idp.services;
    const { token } = await tokens.issue(db, { purpose: REACTIVATION_REPORT_PURPOSE, userId: ann.id, ttlSeconds: 600, format: { kind: 'link' } });
    const first = await report(`/reactivation/report/${token}`);
    expect(first.page.status).toBe(200);
    expect(first.page.html).toContain('It was not you who reactivated the account?');
    expect(first.page.html).toContain('Only the service desk can unlock it afterwards');
    expect(first.posted.status).toBe(200);
    expect(first.posted.html).toContain('Your account is locked');
    expect((await users.findById(db, ann.id))!.status).toBe('locked');
    expect(await db('audit_log').where({ event: 'reactivation.reported', user_id: ann.id })).toHaveLength(1);

    const again = await report(`/reactivation/report/${token}`);
    expect(again.page.status).toBe(410);
    expect(again.page.html).toContain('This link no longer works');
    const forged = await report(`/reactivation/report/${'x'.repeat(43)}`);
    expect(forged.page.status).toBe(410);
  });
});
