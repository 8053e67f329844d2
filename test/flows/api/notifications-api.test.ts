// The notification API as a relying app uses it: a client-credentials token from openid-client, JSON over HTTP,
// and real delivery through the outbox to an SMTP server and an SMS gateway (sinks in this process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { discover } from '../../helpers/rp.ts';
import { has } from '../../helpers/components.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { setAlertChannels, turnOffAfterContactChange } from '../../../provider/domain/accounts/alerts.ts';
import { addMember, createOrganisation } from '../../../provider/domain/accounts/organisations.ts';
import { settleFinishedDeliveries } from '../../../provider/domain/notifications/service.ts';
import { purgeOutbox } from '../../../provider/domain/messaging/outbox.ts';

type Status = {
  id: string;
  summary: Record<'sent' | 'pending' | 'skipped' | 'failed', number>;
  organisation: { name: string; notify: boolean } | null;
  recipients: { username: string; sub: string; channels: Record<'email' | 'sms', { status: string; reason?: string }> }[];
};

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];

describe.each(kinds)('notification API for relying apps on %s', (kind) => {
  let idp: TestProvider;
  let gateway: HttpSink;
  let smtp: SmtpSink;
  let sender: string;
  let other: string;
  const tokenFor = async (clientId: string, secret: string, scope?: string) =>
    (await client.clientCredentialsGrant(await discover(idp.issuer, clientId, secret), scope ? { scope } : {})).access_token;

  const api = async (token: string | undefined, method: 'GET' | 'POST', path = '', body?: unknown) => {
    const res = await fetch(`${idp.issuer}/api/notifications${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json(), headers: res.headers };
  };
  const alert = (recipients: object, subject = 'Flooding in Liège', severity = 'critical') => ({
    recipients,
    subject,
    text: 'The Meuse is rising.\nAvoid the quays.',
    severity,
  });
  const settled = (id: string) =>
    waitUntilAsync(async () => {
      const s = (await api(sender, 'GET', `/${id}`)).json as Status;
      return s.summary.pending === 0 ? s : undefined;
    }, 20_000);
  const channelsOf = (s: Status) => Object.fromEntries(s.recipients.map((r) => [r.username, r.channels]));

  async function person(username: string, o: { phone?: string; status?: 'active' | 'locked' } = {}) {
    const { db, users } = idp.services;
    const u = await users.create(db, { username, email: `${username}@example.be`, emailVerified: true, status: o.status ?? 'active' });
    if (o.phone) await users.setVerifiedPhone(db, u.id, o.phone);
    return u;
  }

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([startHttpSink(), startSmtpSink()]);
    idp = await startTestProvider(kind, {
      SMS_GATEWAY_URL: `${gateway.url}/sms`,
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '100',
      OUTBOX_BACKOFF_SECONDS: '1',
      OUTBOX_BACKOFF_MAX_SECONDS: '1',
    });
    const p = idp.services.provider();
    const portal = await createClient(p, {
      name: 'Crisis portal',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
      scope: 'notifications:send',
    });
    sender = await tokenFor(portal.client_id, portal.client_secret!, 'notifications:send');
    const second = await createClient(p, {
      name: 'Other app',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
      scope: 'notifications:send',
    });
    other = await tokenFor(second.client_id, second.client_secret!, 'notifications:send');

    const { db } = idp.services;
    const anna = await person('anna', { phone: '+32490000001' });
    await setAlertChannels(db, anna.id, { email: true, sms: true });
    await person('bart');
    const chris = await person('chris', { phone: '+32490000003' });
    await setAlertChannels(db, chris.id, { email: false, sms: true });
    const dana = await person('dana', { phone: '+32490000004' });
    await setAlertChannels(db, dana.id, { email: true, sms: true });
    await turnOffAfterContactChange(db, dana.id, 'sms');
    await person('emil', { status: 'locked' });
    const cell = await createOrganisation(db, 'Crisis cell');
    const quiet = await createOrganisation(db, 'Quiet municipality', false);
    for (const u of [anna, chris]) await addMember(db, quiet.id, u.id);
    await addMember(db, cell.id, anna.id);
    await addMember(db, cell.id, dana.id);
  });
  afterAll(async () => {
    await idp?.close();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  it('accepts only a live client-credentials token carrying notifications:send (401, 403)', async () => {
    const body = alert({ usernames: ['anna'] });
    const none = await api(undefined, 'POST', '', body);
    expect([none.status, none.json.error]).toEqual([401, 'invalid_token']);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*", error="invalid_token"$/);
    expect(none.headers.get('set-cookie')).toBeNull();
    expect((await api('not-a-token', 'POST', '', body)).status).toBe(401);

    const p = idp.services.provider();
    // Registered for the scope but not asking for it: the token has no scope.
    const portal = await createClient(p, {
      name: 'Forgetful app',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
      scope: 'notifications:send',
    });
    const unscoped = await api(await tokenFor(portal.client_id, portal.client_secret!), 'POST', '', body);
    expect([unscoped.status, unscoped.json.error]).toEqual([403, 'insufficient_scope']);
    expect(unscoped.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="notifications:send"');

    // Not registered for the scope, with a scope list or without one: the token is refused.
    const limited = await createClient(p, {
      name: 'Reporting app',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
      scope: 'openid',
    });
    await expect(tokenFor(limited.client_id, limited.client_secret!, 'notifications:send')).rejects.toMatchObject({ error: 'invalid_scope' });
    const open = await createClient(p, { name: 'Unlisted app', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
    await expect(tokenFor(open.client_id, open.client_secret!, 'notifications:send')).rejects.toMatchObject({ error: 'invalid_scope' });
    expect(Number((await idp.db('notifications').count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('validates the body and refuses unknown recipients without sending anything (400, 404)', async () => {
    const long = await api(sender, 'POST', '', alert({ usernames: ['anna'] }, 'x'.repeat(201)));
    expect([long.status, long.json.error, long.json.fields]).toEqual([400, 'invalid_input', 'subject']);
    expect((await api(sender, 'POST', '', alert({ usernames: ['anna'] }, 'Test', 'panic'))).json.fields).toBe('severity');
    expect((await api(sender, 'POST', '', alert({}))).status).toBe(400);
    expect((await api(sender, 'POST', '', { ...alert({ usernames: ['anna'] }), text: 'y'.repeat(2001) })).json.fields).toBe('text');

    await expect(createOrganisation(idp.db, 'crisis CELL')).rejects.toMatchObject({ code: 'organisation_exists', status: 409 });
    const org = await api(sender, 'POST', '', alert({ organisation: 'No such organisation' }));
    expect([org.status, org.json.error]).toEqual([404, 'organisation_unknown']);
    const who = await api(sender, 'POST', '', alert({ usernames: ['anna', 'nobody'] }));
    expect([who.status, who.json.error, who.json.unknown]).toEqual([404, 'recipients_unknown', 'nobody']);
    expect(Number((await idp.db('notifications').count({ n: '*' }).first())!.n)).toBe(0);
    expect((await api(sender, 'GET', '/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('fans out to each recipient’s enabled, verified channels and reports per recipient and channel', async () => {
    smtp.rejectRecipient('bart@example.be');
    const sent = await api(sender, 'POST', '', alert({ usernames: ['anna', 'BART', 'chris', 'dana', 'emil'] }));
    expect(sent.status).toBe(202);
    expect(sent.headers.get('location')).toBe(`/api/notifications/${sent.json.id}`);
    expect(sent.json.status_url).toBe(`${idp.issuer}/api/notifications/${sent.json.id}`);

    const status = await settled(sent.json.id);
    expect(channelsOf(status)).toEqual({
      anna: { email: { status: 'sent' }, sms: { status: 'sent' } },
      bart: { email: { status: 'failed', reason: 'delivery_failed' }, sms: { status: 'skipped', reason: 'no_verified_channel' } },
      chris: { email: { status: 'skipped', reason: 'alerts_off' }, sms: { status: 'sent' } },
      dana: { email: { status: 'sent' }, sms: { status: 'skipped', reason: 'alerts_off_after_contact_change' } },
      emil: { email: { status: 'skipped', reason: 'account_inactive' }, sms: { status: 'skipped', reason: 'account_inactive' } },
    });
    expect(status.summary).toEqual({ sent: 4, pending: 0, skipped: 5, failed: 1 });

    const mail = await smtp.waitFor((m) => m.to.includes('anna@example.be') && m.subject === 'CRITICAL: Flooding in Liège');
    expect(mail.text).toContain('The Meuse is rising.');
    expect(mail.text).toContain('Sent by Crisis portal.');
    expect(mail.text).toContain(`${idp.issuer}/account/alerts`);
    const sms = await gateway.waitFor((r) => (r.json as { to: string }).to === '+32490000001');
    expect((sms.json as { text: string }).text).toBe('Critical: Flooding in Liège\nThe Meuse is rising.\nAvoid the quays.');
    expect(gateway.requests.filter((r) => (r.json as { to: string }).to === '+32490000004')).toEqual([]);

    // Another app cannot read this notification.
    expect((await api(other, 'GET', `/${sent.json.id}`)).status).toBe(404);
  });

  it("writes to each recipient in their account's language, from the texts the app gave per language", async () => {
    const { db, users } = idp.services;
    const frieda = await users.create(db, { username: 'frieda', email: 'frieda@example.be', emailVerified: true, status: 'active', locale: 'de' });
    await users.setVerifiedPhone(db, frieda.id, '+32490000006');
    await setAlertChannels(db, frieda.id, { email: true, sms: true });
    const sent = await api(sender, 'POST', '', {
      ...alert({ usernames: ['frieda', 'anna'] }, 'Storm warning', 'warning'),
      texts: { de: { subject: 'Sturmwarnung', text: 'Bleiben Sie zu Hause.' }, nl: 'Blijf thuis.' },
    });
    expect(sent.status).toBe(202);
    await settled(sent.json.id);
    const german = await smtp.waitFor((m) => m.to.includes('frieda@example.be'));
    expect(german.subject).toContain('Sturmwarnung');
    expect(german.text).toContain('Bleiben Sie zu Hause.');
    expect(german.text).not.toContain('The Meuse');
    const sms = await gateway.waitFor((r) => (r.json as { to: string }).to === '+32490000006');
    expect((sms.json as { text: string }).text).toMatch(/^Warnung: Sturmwarnung\nBleiben Sie zu Hause\.$/);
    // anna's account has no language of its own: the default text.
    const english = await smtp.waitFor((m) => m.to.includes('anna@example.be') && m.subject.includes('Storm warning'));
    expect(english.text).toContain('The Meuse is rising.');

    const refused = await api(sender, 'POST', '', { ...alert({ usernames: ['anna'] }), texts: { xx: 'Unknown language' } });
    expect(refused.status).toBe(400);
  });

  it("keeps each delivery's outcome when the outbox is purged before any app asked for it", async () => {
    const sent = await api(sender, 'POST', '', alert({ usernames: ['anna'] }));
    const ids = (await idp.db('notification_deliveries').where({ notification_id: sent.json.id }).pluck('id')).map(String);
    await waitUntilAsync(async () => ((await idp.db('outbox').whereIn('reference', ids).where({ status: 'sent' })).length === 2 ? true : undefined), 20_000);
    await settleFinishedDeliveries(idp.db);
    expect(await purgeOutbox(idp.db, 0, new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(2);
    const status = (await api(sender, 'GET', `/${sent.json.id}`)).json as Status;
    expect(channelsOf(status)).toEqual({ anna: { email: { status: 'sent' }, sms: { status: 'sent' } } });
  });

  it('honours an organisation that does not notify: every member skipped, with the reason', async () => {
    const before = gateway.requests.length + smtp.messages.length;
    const sent = await api(sender, 'POST', '', alert({ organisation: 'quiet municipality' }, 'Exercise'));
    expect(sent.status).toBe(202);
    const status = (await api(sender, 'GET', `/${sent.json.id}`)).json as Status;
    expect(status.organisation).toMatchObject({ name: 'Quiet municipality', notify: false });
    const skipped = { status: 'skipped', reason: 'organisation_does_not_notify' };
    expect(channelsOf(status)).toEqual({ anna: { email: skipped, sms: skipped }, chris: { email: skipped, sms: skipped } });
    expect(status.summary).toEqual({ sent: 0, pending: 0, skipped: 4, failed: 0 });
    const deliveries: string[] = await idp.db('notification_deliveries').where({ notification_id: sent.json.id }).pluck('id');
    expect(deliveries).toHaveLength(4);
    expect(await idp.db('outbox').whereIn('reference', deliveries)).toEqual([]);

    // An organisation that notifies reaches its members.
    const cell = await settled((await api(sender, 'POST', '', alert({ organisation: 'Crisis cell' }, 'Exercise', 'info'))).json.id);
    expect(cell.organisation).toMatchObject({ name: 'Crisis cell', notify: true });
    expect(channelsOf(cell).anna).toEqual({ email: { status: 'sent' }, sms: { status: 'sent' } });
    expect(gateway.requests.length + smtp.messages.length).toBeGreaterThan(before);
  });

  it('delivers every SMS exactly once when the gateway is down, then up', async () => {
    const { db } = idp.services;
    const numbers = ['+32490100001', '+32490100002', '+32490100003'];
    for (const [i, phone] of numbers.entries()) {
      const u = await person(`outage${i}`, { phone });
      await setAlertChannels(db, u.id, { email: false, sms: true });
    }
    await gateway.down();
    const { json } = await api(sender, 'POST', '', alert({ usernames: ['outage0', 'outage1', 'outage2'] }, 'Gas leak', 'warning'));
    // Every message tried at least once against the closed port, none delivered, none given up.
    await waitUntilAsync(async () => {
      const rows = await db('outbox').whereIn('recipient', numbers);
      return rows.length === 3 && rows.every((r) => r.attempts >= 1 && r.status === 'pending' && r.last_error) ? rows : undefined;
    }, 10_000);
    expect(((await api(sender, 'GET', `/${json.id}`)).json as Status).summary).toEqual({ sent: 0, pending: 3, skipped: 3, failed: 0 });

    await gateway.up();
    gateway.failNext(1, 503);
    const status = await settled(json.id);
    expect(status.summary).toEqual({ sent: 3, pending: 0, skipped: 3, failed: 0 });
    for (const to of numbers) {
      const received = gateway.requests.filter((r) => (r.json as { to: string }).to === to && r.status === 200);
      expect(received).toHaveLength(1);
      expect((received[0]!.json as { text: string }).text).toBe('Warning: Gas leak\nThe Meuse is rising.\nAvoid the quays.');
    }
  });
});

/** Polls an async probe until it returns something. */
async function waitUntilAsync<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
