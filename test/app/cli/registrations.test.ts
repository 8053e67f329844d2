// The staff's commands: invitations and customers imported from CSV (bad rows reported by line, nothing imported
// without --partial), the sheet of slips, and the review queue. The commands run in-process on an in-memory
// database; a run of the real `idp` process proves the wiring and the exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/provider.ts';
import { freshPostgresUrl, testDb } from '../../helpers/db.ts';
import { has } from '../../helpers/components.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { createServices } from '../../../provider/app/server.ts';
import { generateUsername } from '../../../provider/domain/accounts/usernames.ts';
import {
  importCustomersCommand,
  importInvitationsCommand,
  registrationsCommand,
  renameInvitationCommand,
} from '../../../provider/app/cli/commands/registrations.ts';

const CLASS_10A =
  'Vorname;Nachname;Klasse;E-Mail\nMax;Müller;10a;\nLea;;10a;lea@example.de\n"Max";"Müller";"10a";\nZoë;Ölçer;10a;not-an-address\nAnna;Müller;10a;anna@example.de\n';
const CONFIG = { NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', ISSUER: 'https://id.school.example' };

describe('idp invitations, customers and registrations', () => {
  let dir: string;
  let services: Awaited<ReturnType<typeof createServices>>;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'idp-registration-cli-'));
    const { db } = await testDb('pglite');
    services = await createServices(loadConfig(CONFIG), db);
  });
  afterAll(async () => {
    await services?.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file with bad rows as a process: exit code 1, each row by line, nothing imported', { timeout: 45_000 }, async () => {
    // On PostgreSQL when there is one: creating an embedded database costs a new process many seconds.
    const env = { ...CONFIG, DATA_DIR: path.join(dir, 'data'), ...(has('postgres') ? { DATABASE_URL: await freshPostgresUrl() } : {}) };
    const csv = file('10a.csv', CLASS_10A);
    const refused = await runCli(['invitations', 'import', csv], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('line 3: the family name is empty\nline 4: the same person as line 2\nline 5: the e-mail address is not valid\n');
    expect(refused.stdout).toContain('Nothing imported: fix the 3 lines above');
    expect(existsSync(path.join(dir, '10a-slips.html'))).toBe(false);
  });

  it('imports the good rows with --partial and writes one slip per person, with print CSS', async () => {
    // Without --sheet the slips go next to the CSV file.
    const sheet = path.join(dir, 'in-process-slips.html');
    const out = await importInvitationsCommand(services, file('in-process.csv', CLASS_10A), { partial: true, locale: 'de' });
    expect(out.ok).toBe(true);
    expect(out.stderr).toBe('line 3: the family name is empty\nline 4: the same person as line 2\nline 5: the e-mail address is not valid\n');
    expect(out.stdout).toMatch(
      /^Imported 2 invitations\. Skipped \(not imported\): lines 3, 4, 5\.\n {2}line 2: max\.mueller {2}\(Max Müller, 10a\)\n {2}line 6: anna\.mueller /,
    );
    const html = readFileSync(sheet, 'utf8');
    expect(html.match(/class="slip"/g)).toHaveLength(2);
    expect(html).toContain('Ihre Zugangsdaten');
    expect(html).toContain('https://id.school.example/registration/invitation');
    expect(html.match(/<dd>[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}<\/dd>/g)).toHaveLength(2);
    expect(html).toContain('break-inside: avoid');

    // The same file again: the people already invited are reported, not invited twice.
    const again = await importInvitationsCommand(services, file('again.csv', CLASS_10A), { partial: true, sheet });
    expect(again.stderr).toContain('line 2: already invited as max.mueller');
    expect(again.stdout).toContain('Imported 0 invitations.');
    expect((await importInvitationsCommand(services, file('broken.csv', 'Vorname;Nachname;Klasse\n"Max;Müller;10a\n'), { partial: true })).stderr).toBe(
      'line 2: a quoted field is not closed (a " is missing)\n',
    );
  });

  it('imports customer records, updating the names of known numbers', async () => {
    const bad = await importCustomersCommand(services, file('c.csv', 'customer number,name\nA-1,"Smith, John"\n,Nobody\nA 1,Twice\n'), {});
    expect(bad).toMatchObject({ ok: false, stderr: 'line 3: the customer number is empty\nline 4: customer number A1 is already on line 2\n' });
    const ok = await importCustomersCommand(services, file('c2.csv', 'Kundennummer;Name\nA-1;Smith, John\nB-2;Jones Ltd\n'), {});
    expect(ok.stdout).toContain('Imported 2 customer records (2 new, 0 with a changed name, 0 unchanged).');
    const renamed = await importCustomersCommand(services, file('c3.csv', 'Kundennummer;Name\nA-1;Smith-Jones, John\nB-2;Jones Ltd\n'), {});
    expect(renamed.stdout).toContain('(0 new, 1 with a changed name, 1 unchanged)');
  });

  it('lets staff rename an invitation before the person registers, never after', async () => {
    expect((await renameInvitationCommand(services, 'anna.mueller', 'Anna.M')).stdout).toBe('Renamed anna.mueller to anna.m\n');
    await expect(renameInvitationCommand(services, 'anna.m', 'max.mueller')).rejects.toThrow('already taken');
    await expect(renameInvitationCommand(services, 'anna.m', 'a')).rejects.toThrow('not a valid username');
    await services.db('invitations').where({ username: 'anna.m' }).update({ status: 'registered' });
    await expect(renameInvitationCommand(services, 'anna.m', 'anna.mueller')).rejects.toThrow('anna.m has registered: the username can no longer change');
    await services.db('invitations').where({ username: 'anna.m' }).update({ status: 'issued', username: 'anna.mueller' });
  });

  it('finds a free username against accounts and invitations, case-insensitively', async () => {
    const { db, users } = services;
    await users.create(db, { username: 'Jan.Peeters', status: 'active' });
    const now = new Date();
    await db('invitations').insert({
      id: crypto.randomUUID(),
      username: 'jan.peeters2',
      initial_password_hash: 'x',
      given_name: 'Jan',
      family_name: 'Peeters',
      status: 'issued',
      created_at: now,
      updated_at: now,
    });
    expect(await generateUsername(db, 'Jan', 'Peeters')).toBe('jan.peeters3');
    expect(await generateUsername(db, 'Jan', 'Peeters', new Set(['jan.peeters3']))).toBe('jan.peeters4');
  });

  it('lists, approves with a chosen username and rejects registrations waiting for review', async () => {
    const { db } = services;
    // Two pupils corrected their names on the registration page, which stored this for the review.
    const passwordHash = await services.hasher.hash('correct horse battery staple');
    const pending = (email: string) =>
      JSON.stringify({ email, passwordHash, locale: 'en', termsVersion: '1', privacyVersion: '1', acceptedAt: new Date().toISOString() });
    const [max, anna] = await Promise.all(['max.mueller', 'anna.mueller'].map((u) => db('invitations').where({ username: u }).first('id')));
    await db('invitations')
      .where({ id: max.id })
      .update({
        status: 'pending_review',
        corrected_given_name: 'Maximilian',
        corrected_family_name: 'Müller',
        pending_registration: pending('max@example.de'),
      });
    await db('invitations')
      .where({ id: anna.id })
      .update({ status: 'pending_review', corrected_given_name: 'Anna', corrected_family_name: 'Muller', pending_registration: pending('anna@example.de') });

    const list = await registrationsCommand(services, 'list', undefined, {});
    expect(list.stdout).toContain(`${max.id}\tmax.mueller\t10a\tMax Müller\tMaximilian Müller\tmax@example.de\tmaximilian.mueller`);
    expect(list.stdout).toContain(`${anna.id}\tanna.mueller\t10a\tAnna Müller\tAnna Muller\tanna@example.de\tanna.muller`);
    await expect(registrationsCommand(services, 'approve', max.id, { username: 'anna.mueller' })).rejects.toThrow('The username anna.mueller is already taken');
    await expect(registrationsCommand(services, 'approve', max.id, { username: 'Max Müller' })).rejects.toThrow('is not a valid username');
    expect((await registrationsCommand(services, 'approve', max.id, { username: 'max.m' })).stdout).toBe(
      'Approved: the username is max.m; an e-mail with the activation link was sent.\n',
    );
    expect((await registrationsCommand(services, 'reject', anna.id, { reason: 'Name as in the school register' })).ok).toBe(true);
    await expect(registrationsCommand(services, 'approve', anna.id, {})).rejects.toThrow('The registration is rejected, not waiting for review');
    expect((await registrationsCommand(services, 'list', undefined, {})).stdout).toBe('No registrations are waiting for review.\n');
    expect((await registrationsCommand(services, 'frobnicate', undefined, {})).ok).toBe(false);

    expect(await db('users').where({ username: 'max.m' }).first('status', 'given_name', 'email')).toEqual({
      status: 'pending',
      given_name: 'Maximilian',
      email: 'max@example.de',
    });
    expect(await db('invitations').where({ id: anna.id }).first('status', 'review_reason', 'pending_registration')).toEqual({
      status: 'rejected',
      review_reason: 'Name as in the school register',
      pending_registration: null,
    });
    expect(await db('outbox').orderBy('created_at').select('recipient', 'subject')).toEqual([
      { recipient: 'max@example.de', subject: 'Your registration is unlocked' },
      { recipient: 'anna@example.de', subject: 'Your registration was not approved' },
    ]);
  });
});
