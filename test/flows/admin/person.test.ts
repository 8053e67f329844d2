// One person as staff see them on /admin/users/:id, and what staff do for them: end their sessions, mail a reset
// link, give or take the admin role, erase the account. Staff never demote or erase themselves there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text } from '../account/agent.ts';
import { passkeysOf } from '../../../provider/domain/passkeys/repository.ts';
import { storedPasskey } from '../../helpers/passkeys.ts';
import { captureOutput } from '../../helpers/output.ts';
import { log } from '../../../provider/platform/log.ts';

const PASSWORD = 'correct horse battery staple';

describe('a person on the staff pages', () => {
  let idp: TestProvider;
  let staff: Agent;
  let staffId: string;
  let miaId: string;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    staffId = (await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] }))
      .id;
    miaId = (
      await users.create(db, {
        username: 'mia',
        email: 'mia@example.be',
        emailVerified: true,
        givenName: 'Mia',
        familyName: 'Maes',
        passwordHash,
        status: 'active',
      })
    ).id;
    await db('eid_links').insert({
      user_id: miaId,
      national_number_hmac: 'b'.repeat(64),
      card_number: '592123456789',
      linked_at: new Date(),
      verified_at: new Date(),
    });
    staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, '/admin/users?q=mia');
  });
  afterAll(() => idp?.close());

  it('is reached from the search, and shows the person with their card number only', async () => {
    const search = await staff.get('/admin/users?q=mia');
    expect(search.html).toContain(`<a href="/admin/users/${miaId}">mia</a>`);
    const page = text((await staff.get(`/admin/users/${miaId}`)).html);
    expect(page).toContain('Mia Maes');
    expect(page).toContain('mia@example.be (verified)');
    expect(page).toMatch(/Linked eID card 592-\d{7}-\d{2}/);
    expect(page).not.toContain('b'.repeat(64));
    expect((await staff.get('/admin/users/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('records who opened the page, on the audit page under the person and under the staff member, not among the recent events', async () => {
    await idp.db('audit_log').where({ event: 'admin.person_viewed' }).delete();
    await idp.db('audit_log').insert({ event: 'login.success', user_id: miaId, details: '{}', at: new Date() });
    const page = (await staff.get(`/admin/users/${miaId}`)).html;
    expect(page).toContain('<code>login.success</code>');
    expect(page).not.toContain('admin.person_viewed');
    expect(await idp.db('audit_log').where({ event: 'admin.person_viewed', user_id: miaId }).pluck('details')).toEqual([{ by: staffId }]);
    for (const who of ['mia', 'staff']) {
      const trail = text(/<table id="audit-events">[\s\S]*?<\/table>/.exec((await staff.get(`/admin/audit?user=${who}`)).html)?.[0] ?? '');
      expect(trail, who).toMatch(/admin\.person_viewed mia/);
    }
    // A refused form shows the person's data again, and a form can be posted without the page opened first (its
    // token is any staff page's): each showing is a look of its own, recorded.
    await idp.db('audit_log').where({ event: 'admin.person_viewed' }).delete();
    const refused = await staff.post(`/admin/users/${miaId}/name`, { given_name: '', family_name: 'Maes' });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('mia@example.be (verified)');
    expect(await idp.db('audit_log').where({ event: 'admin.person_viewed', user_id: miaId }).pluck('details')).toEqual([{ by: staffId }]);
  });

  it('records each search under the staff member, with its kind, what was typed and how many it found: a national number only as its keyed hash, never logged', async () => {
    const lines: string[] = [];
    const [restore, level] = [captureOutput(lines), log.level];
    log.level = 'info';
    try {
      await staff.get('/admin/users?q=mia');
      expect((await staff.get('/admin/users?q=85.07.30-033.28')).status).toBe(200);
      const trail = text(
        /<table id="audit-events">[\s\S]*?<\/table>/.exec((await staff.get('/admin/audit?user=staff&type=admin.search_viewed')).html)?.[0] ?? '',
      );
      expect(trail).toMatch(
        /Details \S+ \S+ \S+ admin\.search_viewed staff \S+ \{"q":\{"national_number_hmac":"[0-9a-f]{64}"\},"kind":"national_number","results":0\} \S+ \S+ \S+ admin\.search_viewed staff \S+ \{"q":"mia","kind":"text","results":1\}/,
      );
    } finally {
      log.level = level;
      restore();
    }
    const stored = JSON.stringify(await idp.db('audit_log').select('details'));
    expect(lines.filter((l) => l.includes('"event":"admin.search_viewed"'))).toHaveLength(2);
    for (const where of [stored, lines.join('\n')]) expect(where).not.toMatch(/85\D?07\D?30\D?033\D?28/);
  });

  it("lists a staff member's own events on their page, not their looks at lists, which would crowd them out", async () => {
    for (let i = 0; i < 11; i++) await staff.get('/admin/users?q=mia');
    const events = /<ul class="events">([\s\S]*?)<\/ul>/.exec((await staff.get(`/admin/users/${staffId}`)).html)?.[1] ?? '';
    expect(events).not.toContain('admin.search_viewed');
    expect(events).toContain('login.success');
  });

  it('keeps a national number typed in other digits, or with other separators or letters around it, only as the same keyed hash', async () => {
    const typed = ['85073003328', '８５.０７.３０-０３３.２８', '85–07–30–033–28', '85,07,30 033_28', '٨٥٠٧٣٠٠٣٣٢٨', 'BE85073003328x'];
    for (const q of typed) expect((await staff.get(`/admin/users?${new URLSearchParams({ q })}`)).status).toBe(200);
    const recorded: { kind: string; q: unknown }[] = await idp
      .db('audit_log')
      .where({ event: 'admin.search_viewed' })
      .orderBy('id', 'desc')
      .limit(typed.length)
      .pluck('details');
    expect(recorded.map((d) => d.kind)).toEqual(typed.map(() => 'national_number'));
    expect(recorded.map((d) => d.q)).toEqual(typed.map(() => ({ national_number_hmac: expect.stringMatching(/^[0-9a-f]{64}$/) })));
    expect(new Set(recorded.map((d) => JSON.stringify(d.q))).size).toBe(1);
  });

  it("ends the person's sessions and mails a reset link", async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD);
    expect((await mia.get('/account')).url).toBe(`${idp.issuer}/account`);
    expect(text((await staff.post(`/admin/users/${miaId}/sessions/end`, {})).html)).toContain('Every session and app access of this account has ended.');
    expect((await mia.get('/account')).url).toContain('/interaction/');

    expect(text((await staff.post(`/admin/users/${miaId}/reset-link`, {})).html)).toContain(
      "A password reset link is on its way to the person's e-mail address.",
    );
    expect(await idp.db('outbox').where({ recipient: 'mia@example.be' }).pluck('template')).toContain('recovery');
    const sent = await idp.db('audit_log').where({ event: 'recovery.link_sent_by_staff', user_id: miaId }).first();
    expect(sent.details).toEqual({ via: 'admin', by: staffId });
  });

  it('edits the name at once, and the address only once its owner follows the link mailed to it', async () => {
    expect(text((await staff.post(`/admin/users/${miaId}/name`, { given_name: 'Mia-Louise', family_name: 'Maes' })).html)).toContain(
      'The name has been saved.',
    );
    expect((await idp.services.users.findById(idp.db, miaId))!.given_name).toBe('Mia-Louise');

    const bad = await staff.post(`/admin/users/${miaId}/email`, { email: 'not an address' });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="email"[^>]*aria-invalid="true"/);
    expect(text((await staff.post(`/admin/users/${miaId}/email`, { email: 'mia.new@example.be' })).html)).toContain(
      'A confirmation link is on its way to the new address.',
    );
    expect((await idp.services.users.findById(idp.db, miaId))!.email).toBe('mia@example.be');
    expect(text((await staff.get(`/admin/users/${miaId}`)).html)).toMatch(
      /mia@example\.be \(verified\)\s*New: mia\.new@example\.be, in force once its owner confirms it/,
    );
    const mail = await idp.db('outbox').where({ recipient: 'mia.new@example.be' }).first();
    const link = /http:\/\/\S+\/account\/email\/verify\?token=[\w-]+/.exec(mail.body_text)![0];
    const owner = new Agent(idp.issuer);
    const page = await owner.get(new URL(link).pathname + new URL(link).search);
    await owner.post('/account/email/verify', { token: new URL(link).searchParams.get('token')! });
    expect(page.status).toBe(200);
    expect((await idp.services.users.findById(idp.db, miaId))!.email).toBe('mia.new@example.be');
  });

  it('refuses to empty a name the person has, at its field, and changes nothing; a name the account never had may stay empty', async () => {
    const names = async (id: string) => idp.db('users').where({ id }).first('given_name', 'family_name');
    const before = await names(miaId);
    const nameChanges = () => idp.db('audit_log').where({ user_id: miaId, event: 'admin.name_changed' }).pluck('id');
    const changed = await nameChanges();
    const refused = await staff.post(`/admin/users/${miaId}/name`, { given_name: '  ', family_name: 'Peeters' });
    expect(refused.status).toBe(400);
    expect(refused.html).toMatch(/id="given_name"[^>]*aria-invalid="true"/);
    expect(text(/id="given_name-error"[^>]*>([\s\S]*?)<\/ul>/.exec(refused.html)![1]!)).toBe(
      "Enter the person's given name: a name the account has cannot be emptied.",
    );
    expect(refused.html).not.toMatch(/id="family_name"[^>]*aria-invalid/);
    // What staff typed is shown again, the emptied field marked.
    expect(refused.html).toMatch(/id="family_name"[^>]*value="Peeters"/);
    expect(text(refused.html)).not.toContain('The name has been saved.');
    expect(await names(miaId)).toEqual(before);
    expect(await nameChanges()).toEqual(changed);

    const { db, users } = idp.services;
    const firm = (await users.create(db, { username: 'bakkerij', familyName: 'Bakkerij Peeters', status: 'active' })).id;
    expect(text((await staff.post(`/admin/users/${firm}/name`, { given_name: '', family_name: 'Bakkerij Peeters NV' })).html)).toContain(
      'The name has been saved.',
    );
    const emptied = await staff.post(`/admin/users/${firm}/name`, { given_name: '', family_name: '' });
    expect(text(/id="family_name-error"[^>]*>([\s\S]*?)<\/ul>/.exec(emptied.html)![1]!)).toBe(
      "Enter the person's family name: a name the account has cannot be emptied.",
    );
    expect(await names(firm)).toEqual({ given_name: null, family_name: 'Bakkerij Peeters NV' });
  });

  it('texts a code to a new mobile number, which counts only once the person types it on their own page', async () => {
    const bad = await staff.post(`/admin/users/${miaId}/phone`, { phone: '02 123 45 67' });
    expect(bad.status).toBe(400);
    expect(text(bad.html)).toMatch(/This (number cannot receive SMS|is not a valid phone number)\. Enter a mobile number such as/);
    expect(text((await staff.post(`/admin/users/${miaId}/phone`, { phone: '0470 12 34 99' })).html)).toContain('A code was texted to the new number.');
    expect((await idp.services.users.findById(idp.db, miaId))!.phone_number).toBeNull();
    const sms = await idp.db('outbox').where({ recipient: '+32470123499', channel: 'sms' }).first();
    const code = /\b(\d{6})\b/.exec(sms.body_text)![1]!;
    const owner = new Agent(idp.issuer);
    await owner.login('mia', PASSWORD);
    expect((await owner.post('/account/phone/verify', { code })).url).toBe(`${idp.issuer}/account/alerts?done=phone_verified`);
    expect((await idp.services.users.findById(idp.db, miaId))!.phone_number).toBe('+32470123499');
    expect(await idp.db('audit_log').where({ user_id: miaId, event: 'admin.phone_change_started' }).first()).toBeDefined();
  });

  it("lists the person's passkeys and removes one once confirmed, telling the person by mail", async () => {
    const planted = await storedPasskey(idp.db, miaId, 'Lost phone');
    const page = await staff.get(`/admin/users/${miaId}`);
    expect(text(page.html)).toMatch(/Passkeys Lost phone: added .+, last used never/);
    expect(text((await staff.get(`/admin/users/${miaId}/passkeys/${planted.id}/remove`)).html)).toContain('Remove the passkey “Lost phone”?');
    expect(await passkeysOf(idp.db, miaId)).toHaveLength(1);
    const done = await staff.post(`/admin/users/${miaId}/passkeys/${planted.id}/remove`, {});
    expect(text(done.html)).toContain('The passkey has been removed; the person was told by e-mail.');
    expect(await passkeysOf(idp.db, miaId)).toEqual([]);
    const mail = await idp.db('outbox').where({ user_id: miaId, subject: 'A passkey was removed from your account' }).first();
    expect(mail.body_text).toContain('The service desk removed the passkey “Lost phone” from your account.');
    expect(await idp.db('audit_log').where({ user_id: miaId, event: 'passkey.removed' }).first()).toBeDefined();
  });

  it('gives and takes the admin role, but not to or from oneself', async () => {
    expect(text((await staff.post(`/admin/users/${miaId}/role`, { admin: 'on' })).html)).toContain('The person now has the admin role.');
    expect((await idp.services.users.findById(idp.db, miaId))!.roles).toEqual(['admin']);
    await staff.post(`/admin/users/${miaId}/role`, { admin: 'off' });
    expect((await idp.services.users.findById(idp.db, miaId))!.roles).toEqual([]);
    const self = await staff.post(`/admin/users/${staffId}/role`, { admin: 'off' });
    expect(self.status).toBe(403);
    expect((await idp.services.users.findById(idp.db, staffId))!.roles).toEqual(['admin']);
  });

  it('shows a notice a link names only with an account that exists and an error code', async () => {
    const forged = await staff.get('/admin/users?notice=blocked&username=The%20director%20(call%200800%2012%2034)');
    expect(text(forged.html)).not.toContain('The director');
    expect(forged.html).not.toContain('role="status"');
    const invented = await staff.get('/admin?notice=failed&error=Your%20session%20expired%2C%20log%20in%20at%20evil.example');
    expect(text(invented.html)).not.toContain('evil.example');
    expect(invented.html).not.toContain('role="status"');
    expect(text((await staff.get('/admin?notice=failed&error=invitation_unknown')).html)).toContain('Nothing was changed (invitation_unknown).');
    expect(text((await staff.get('/admin?notice=review_notice')).html)).not.toContain('admin.notice');
    expect(text((await staff.get('/admin/users?notice=unblocked&username=staff')).html)).toContain('staff is unblocked.');
  });

  it('erases the account only when confirmed, and never the staff member’s own', async () => {
    const unconfirmed = await staff.post(`/admin/users/${miaId}/delete`, {});
    expect(unconfirmed.status).toBe(400);
    expect(text(unconfirmed.html)).toContain('Tick the box to confirm the erasure.');
    expect((await staff.post(`/admin/users/${staffId}/delete`, { confirm: 'on' })).status).toBe(403);

    const done = await staff.post(`/admin/users/${miaId}/delete`, { confirm: 'on' });
    expect(text(done.html)).toContain('The account has been erased.');
    expect(await idp.services.users.findById(idp.db, miaId)).toBeUndefined();
    expect(await idp.db('eid_links').where({ user_id: miaId })).toEqual([]);
    expect(
      (await idp.db('outbox').whereIn('recipient', ['mia@example.be', 'mia.new@example.be'])).map((m) => [m.recipient, m.template, m.user_id, m.subject]),
    ).toEqual([]);
    // Under the erased account's id, as the erasure's own record: the staff member's trail names nobody they erased.
    expect(await idp.db('audit_log').where({ user_id: miaId }).orderBy('id').select('event', 'details')).toEqual([
      { event: 'account.deleted', details: { by: 'staff' } },
      { event: 'admin.deleted', details: { by: staffId } },
    ]);
  });
});
