// A person takes their data and leaves: /account/data downloads everything held about them as JSON (never a
// password hash or the national number's HMAC); deleting the account logs them out everywhere and waits out
// ACCOUNT_DELETION_DAYS, a login in between cancels it, and the purge then leaves nothing of them but one
// pseudonymous audit record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { enqueueNotice } from '../../../provider/domain/messaging/notice.ts';
import { Agent, text } from '../../flows/account/agent.ts';
import { addPasskey } from '../../../provider/domain/passkeys/repository.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { discover } from '../../helpers/rp.ts';

const PASSWORD = 'correct horse battery staple';
const HMAC = 'a'.repeat(64);

describe("a person's data, taken and erased", () => {
  let idp: TestProvider;
  let miaId: string;
  let miaSub: string;

  beforeAll(async () => {
    idp = await startTestProvider('postgres', { ACCOUNT_DELETION_DAYS: '14' });
    const { db, users, hasher } = idp.services;
    const mia = await users.create(db, {
      username: 'mia',
      email: 'mia@example.be',
      emailVerified: true,
      givenName: 'Mia',
      familyName: 'Maes',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    miaId = mia.id;
    miaSub = mia.sub;
    await users.setVerifiedPhone(db, mia.id, '+32470123456');
    await db('consents').insert({ user_id: mia.id, document: 'terms', version: '2026-11', accepted_at: new Date('2026-11-30T10:00:00Z') });
    await db('eid_links').insert({
      user_id: mia.id,
      national_number_hmac: HMAC,
      card_number: '592123456789',
      linked_at: new Date('2026-12-01T10:00:00Z'),
      verified_at: new Date('2026-12-01T10:00:00Z'),
    });
    await addPasskey(
      db,
      {
        user_id: mia.id,
        credential_id: 'mia-passkey',
        public_key: new Uint8Array(77),
        counter: 3,
        transports: ['internal'],
        backup_eligible: true,
        backed_up: true,
        aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
        name: 'Phone',
      },
      new Date('2026-12-02T10:00:00Z'),
    );
    await enqueueNotice(db, mia, 'en', { title: { key: 'account.delete.cancelled.title' }, paragraphs: [] });
  });
  afterAll(() => idp?.close());

  const messagesTo = (address: string) => idp.db('outbox').where({ recipient: address }).orderBy('created_at').pluck('subject');

  it('downloads everything held about the person, and nothing secret', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD);
    expect(text((await mia.get('/account/data')).html)).toContain('Download my data');
    const res = await mia.raw('/account/data/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="my-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const raw = await res.text();
    const data = JSON.parse(raw) as Record<string, any>;
    expect(data.profile).toMatchObject({ username: 'mia', given_name: 'Mia', family_name: 'Maes', status: 'active' });
    expect(data.contacts).toMatchObject({ email: 'mia@example.be', email_verified: true, phone_number: '+32470123456' });
    expect(data.consents).toEqual([{ document: 'terms', version: '2026-11', accepted_at: '2026-11-30T10:00:00.000Z' }]);
    expect(data.eid).toEqual({ card_number: '592123456789', linked_at: '2026-12-01T10:00:00.000Z' });
    expect(data.passkeys).toEqual([
      { name: 'Phone', aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4', synced: true, created_at: '2026-12-02T10:00:00.000Z', last_used_at: null },
    ]);
    expect(data.second_factors).toEqual({ authenticator_app_added_at: null, recovery_codes_left: 0 });
    expect(data.sessions).toHaveLength(1);
    expect(data.events.map((e: { event: string }) => e.event)).toContain('login.success');
    expect(raw).not.toContain(HMAC);
    expect(raw).not.toContain('argon2');
    expect(await idp.db('audit_log').where({ user_id: miaId, event: 'account.data_exported' }).first()).toBeDefined();
  });

  it('asks for a confirmation, then schedules the deletion and logs the person out everywhere', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD, '/account/delete');
    const unconfirmed = await mia.post('/account/delete', {});
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.html).toMatch(/id="confirm"[^>]*aria-invalid="true"/);
    expect(text(unconfirmed.html)).toContain('Tick the box to confirm that you want to delete your account.');
    expect((await idp.services.users.findById(idp.db, miaId))!.deletion_due_at).toBeNull();

    const done = await mia.post('/account/delete', { confirm: 'on' });
    // The day as the page reads it, in TIME_ZONE: from 23:00 UTC, Brussels is a day further than UTC.
    const due = new Date(Date.now() + 14 * 86_400_000).toLocaleDateString('sv-SE', { timeZone: idp.services.config.timeZone });
    expect(text(done.html)).toContain(`Your account will be deleted on ${due}. You have been logged out everywhere.`);
    expect((await mia.get('/account')).url).toContain('/interaction/');
    expect(await messagesTo('mia@example.be')).toContain('Your account will be deleted');
  });

  it('cancels the deletion when the person logs in again, and says so', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD);
    expect((await idp.services.users.findById(idp.db, miaId))!.deletion_due_at).toBeNull();
    expect((await messagesTo('mia@example.be')).at(-1)).toBe('Your account will not be deleted');
    expect(await idp.services.deletion.purgeDue(new Date(Date.now() + 30 * 86_400_000))).toBe(0);
  });

  it('erases the account and its traces once the grace period is over', async () => {
    const mia = new Agent(idp.issuer);
    await mia.login('mia', PASSWORD, '/account/delete');
    await mia.post('/account/delete', { confirm: 'on' });
    expect(await idp.services.deletion.purgeDue(new Date(Date.now() + 13 * 86_400_000))).toBe(0);
    expect(await idp.services.deletion.purgeDue(new Date(Date.now() + 15 * 86_400_000))).toBe(1);

    expect(await idp.services.users.findById(idp.db, miaId)).toBeUndefined();
    for (const table of ['eid_links', 'consents', 'one_time_tokens', 'self_service_flows', 'passkeys'])
      expect(await idp.db(table).where({ user_id: miaId })).toEqual([]);
    expect(await messagesTo('mia@example.be')).toEqual([]);
    expect(await idp.db('oidc_models').where({ account_id: miaSub })).toEqual([]);
    // Nor the browsers and addresses her sessions were used from, which the account page listed.
    expect(await idp.db('session_devices').where({ account_id: miaSub })).toEqual([]);
    const left = await idp.db('audit_log').where({ user_id: miaId });
    expect(left.map((e) => [e.event, e.details, e.ip])).toEqual([['account.deleted', { by: 'self' }, null]]);
    const again = new Agent(idp.issuer);
    const page = await again.submitLogin(await again.get('/self/login?return_to=/account'), 'mia', PASSWORD);
    expect(text(page.html)).toContain('The username, e-mail address or password is not correct.');
  });

  it('erases an account once when several erasures of it run at once, as the purge on every worker of a cluster', async () => {
    const { db, users, hasher, provider } = idp.services;
    const leo = await users.create(db, {
      username: 'leo',
      email: 'leo@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    // Logged in to an app that wants to hear of the end of his session.
    const app = await createClient(provider(), {
      name: 'Library',
      redirectUris: ['http://127.0.0.1:9/cb'],
      firstParty: true,
      backchannelLogoutUri: 'http://127.0.0.1:9/logout',
      backchannelLogoutSessionRequired: true,
    });
    const tokens = await new Agent(idp.issuer).authorize(await discover(idp.issuer, app.client_id, app.client_secret), 'http://127.0.0.1:9/cb', 'openid', {
      identifier: 'leo',
      password: PASSWORD,
    });
    await users.scheduleDeletion(db, leo.id, new Date(Date.now() - 1000));

    const erased = await Promise.all([1, 2, 3].map(() => idp.services.deletion.purgeDue()));
    expect(erased.reduce((a, b) => a + b)).toBe(1);
    expect(await idp.db('audit_log').where({ user_id: leo.id })).toEqual([expect.objectContaining({ event: 'account.deleted' })]);
    expect(await idp.db('outbox').where({ channel: 'logout', reference: tokens.claims()!.sid as string })).toHaveLength(1);
  });
});
