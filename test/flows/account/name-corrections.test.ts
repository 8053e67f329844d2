// Locked names (LOCKED_NAMES=invitation, the default): a pupil whose names the office vouched for cannot rewrite them on
// /account; a correction request waits in the office's queue, staff are told of it once, at most once per notice
// period, and the pupil is mailed the decision. An account from an open sign-up keeps editing its names.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { Agent, text } from './agent.ts';
import { noticeReviewers } from '../../../provider/flows/admin/review-notices.ts';
import { addMember, createOrganisation, setOrganisationReviewers } from '../../../provider/domain/accounts/organisations.ts';

const PASSWORD = 'correct horse battery staple';

describe('names the office vouched for', () => {
  let idp: TestProvider;
  let smtp: SmtpSink;
  let staff: Agent;

  async function person(username: string, o: { roles?: string[]; locale?: string; invited?: boolean } = {}) {
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    const u = await users.create(db, {
      username,
      email: `${username}@example.be`,
      emailVerified: true,
      givenName: 'Lena',
      familyName: 'Peeters',
      passwordHash,
      status: 'active',
      roles: o.roles ?? [],
      locale: o.locale ?? 'en',
    });
    if (o.invited) {
      const now = new Date();
      await db('invitations').insert({
        id: randomUUID(),
        username,
        initial_password_hash: passwordHash,
        given_name: 'Lena',
        family_name: 'Peeters',
        group_name: '3B',
        status: 'registered',
        user_id: u.id,
        created_at: now,
        updated_at: now,
      });
    }
    return u;
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100', REGISTRATION_MODES: 'open,invitation' });
    await person('office', { roles: ['admin'] });
    const teacher = await person('teacher', { locale: 'nl' });
    const { db } = idp.services;
    const office = await createOrganisation(db, 'School office');
    await setOrganisationReviewers(db, office.id, true);
    await addMember(db, office.id, teacher.id);
    staff = new Agent(idp.issuer);
    await staff.login('office', PASSWORD, '/admin');
  });
  afterAll(async () => {
    await idp?.close();
    await smtp?.stop();
  });

  it('refuses a locked name change, queues the correction, tells staff once and mails the decision', async () => {
    const lena = await person('lena.peeters', { invited: true });
    const pupil = new Agent(idp.issuer);
    await pupil.login('lena.peeters', PASSWORD);
    const page = await pupil.get('/account');
    expect(text(page.html)).toContain('Your names were checked by the office.');
    expect(page.html).not.toContain('action="/account/profile"');
    const rewrite = await pupil.post('/account/profile', { given_name: 'Queen', family_name: 'Lena' });
    expect(rewrite.status).toBe(400);
    expect((await idp.services.users.findById(idp.db, lena.id))!.given_name).toBe('Lena');

    const empty = await pupil.post('/account/name-correction', { correction_given_name: '', correction_family_name: 'Peeters' });
    expect(text(empty.html)).toContain('Enter both names as they should be.');
    const asked = await pupil.post('/account/name-correction', { correction_given_name: 'Léna', correction_family_name: 'Peeters-Maes' });
    expect(asked.url).toBe(`${idp.issuer}/account?done=correction_requested`);
    expect(text(asked.html)).toMatch(/Your correction to Léna Peeters-Maes, asked on .+, is waiting for the office\./);

    const queue = text((await staff.get('/admin')).html);
    expect(queue).toContain('Requests waiting: 1');
    expect(queue).toContain('Name corrections');

    // One notice per staff member (the admin, the reviewer organisation's member in Dutch), then none for the same request.
    expect(await noticeReviewers(idp.services)).toBe(1);
    expect(await noticeReviewers(idp.services)).toBe(0);
    const toOffice = await smtp.waitFor((m) => m.to.includes('office@example.be'));
    expect(toOffice.text).toContain('New requests since the last notice: 1. Waiting in all: 1.');
    expect(toOffice.text).toContain(`${idp.issuer}/admin`);
    const toTeacher = await smtp.waitFor((m) => m.to.includes('teacher@example.be'));
    expect(toTeacher.subject).toContain('Er wachten aanvragen op controle');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.filter((m) => m.to.includes('office@example.be'))).toHaveLength(1);

    const id = /action="\/admin\/name-corrections\/([0-9a-f-]+)\/approve"/.exec((await staff.get('/admin')).html)![1]!;
    const approved = await staff.post(`/admin/name-corrections/${id}/approve`, {});
    expect(text(approved.html)).toContain('The name correction of lena.peeters is approved');
    expect(text(approved.html)).toContain('Requests waiting: 0');
    const again = await staff.post(`/admin/name-corrections/${id}/reject`, { reason: 'late' });
    expect(text(again.html)).toContain('correction_not_waiting');
    expect((await idp.services.users.findById(idp.db, lena.id))!.given_name).toBe('Léna');
    const mail = await smtp.waitFor((m) => m.to.includes('lena.peeters@example.be'));
    expect(mail.text).toContain('your account now shows Léna Peeters-Maes');
    const events = await idp.db('audit_log').where({ user_id: lena.id }).pluck('event');
    expect(events).toEqual(expect.arrayContaining(['account.name_correction_requested', 'account.name_correction_approved']));
  });

  it('approves only the names staff were shown: a request rewritten meanwhile waits anew', async () => {
    const sara = await person('sara.invited', { invited: true });
    const pupil = new Agent(idp.issuer);
    await pupil.login('sara.invited', PASSWORD);
    await pupil.post('/account/name-correction', { correction_given_name: 'Sarah', correction_family_name: 'Peeters' });
    const shown = (await staff.get('/admin')).html;
    const id = /action="\/admin\/name-corrections\/([0-9a-f-]+)\/approve"/.exec(shown)![1]!;
    expect(text(shown)).toContain('Sarah');
    // Rewritten after the office opened the queue and before it clicked.
    await pupil.post('/account/name-correction', { correction_given_name: 'Queen', correction_family_name: 'Bee' });
    const approved = await staff.post(`/admin/name-corrections/${id}/approve`, {});
    expect(text(approved.html)).toContain('correction_not_waiting');
    expect((await idp.services.users.findById(idp.db, sara.id))!.given_name).toBe('Lena');
    expect(text(approved.html)).toContain('Queen');
    const fresh = /action="\/admin\/name-corrections\/([0-9a-f-]+)\/reject"/.exec(approved.html)![1]!;
    expect(fresh).not.toBe(id);
    await staff.post(`/admin/name-corrections/${fresh}/reject`, {});
  });

  it('mails a rejection with its reason, and leaves open sign-ups free to edit their names', async () => {
    await person('tom.invited', { invited: true });
    const tom = new Agent(idp.issuer);
    await tom.login('tom.invited', PASSWORD);
    // Two requests at once leave one waiting, with one of the two names.
    const both = await Promise.all([
      tom.post('/account/name-correction', { correction_given_name: 'Thomas', correction_family_name: 'Peeters' }),
      tom.post('/account/name-correction', { correction_given_name: 'Thomas', correction_family_name: 'Peeters' }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(await idp.db('name_corrections').where({ status: 'pending', given_name: 'Thomas' })).toHaveLength(1);
    const id = /action="\/admin\/name-corrections\/([0-9a-f-]+)\/reject"/.exec((await staff.get('/admin')).html)![1]!;
    await staff.post(`/admin/name-corrections/${id}/reject`, { reason: 'The register says Tom.' });
    const mail = await smtp.waitFor((m) => m.to.includes('tom.invited@example.be'));
    expect(mail.text).toContain('Reason: The register says Tom.');

    const open = await person('ann.open');
    const ann = new Agent(idp.issuer);
    await ann.login('ann.open', PASSWORD);
    const saved = await ann.post('/account/profile', { given_name: 'Ann', family_name: 'Open' });
    expect(saved.url).toBe(`${idp.issuer}/account?done=profile_saved`);
    expect((await idp.services.users.findById(idp.db, open.id))!.given_name).toBe('Ann');
    expect((await ann.post('/account/name-correction', { correction_given_name: 'X', correction_family_name: 'Y' })).url).toBe(`${idp.issuer}/account`);
  });
});
