// Extra addresses and numbers for alerts (ALERT_EXTRA_CONTACTS), end to end over HTTP: each confirmed by a code sent
// to it through the real SMS gateway or SMTP server, turned off and on, removed, and receiving a relying app's alert
// beside the account's own address; the app's status lists them by channel, never by address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { Agent, text } from './agent.ts';
import { createNotifications } from '../../../provider/domain/notifications/service.ts';

const PASSWORD = 'correct horse battery staple';

describe('extra contacts for alerts', () => {
  let idp: TestProvider;
  let gateway: HttpSink;
  let smtp: SmtpSink;
  let agent: Agent;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([startHttpSink(), startSmtpSink()]);
    idp = await startTestProvider('pglite', { SMS_GATEWAY_URL: `${gateway.url}/sms`, SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100', ALERT_EXTRA_CONTACTS: '1' });
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      username: 'nora',
      email: 'nora@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      locale: 'en',
    });
    agent = new Agent(idp.issuer);
    await agent.login('nora', PASSWORD, '/account/alerts');
  });
  afterAll(async () => {
    await idp?.close();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  const codeIn = (s: string) => /\b(\d{6})\b/.exec(s)![1]!;

  it('confirms a number and an address by code, refuses a duplicate and a fourth, and alerts them with the account', async () => {
    const sent = await agent.post('/account/alerts/contacts', { channel: 'sms', value: '0470 98 76 54' });
    expect(sent.url).toMatch(/\/account\/alerts\/contacts\/[0-9a-f-]+\/verify$/);
    expect(text(sent.html)).toContain('We sent a code of 6 digits to +32 470 98 76 54. It is valid for 10 minutes.');
    const sms = await gateway.waitFor((r) => (r.json as { to?: string }).to === '+32470987654');
    const code = codeIn((sms.json as { text: string }).text);
    const wrong = await agent.post(new URL(sent.url).pathname, { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(text(wrong.html)).toContain('This code is not correct.');
    const ok = await agent.post(new URL(sent.url).pathname, { code });
    expect(ok.url).toBe(`${idp.issuer}/account/alerts?done=contact_verified`);
    expect(text(ok.html)).toContain('Confirmed: alerts now go there too.');
    expect(text(ok.html)).toContain('+32 470 98 76 54 — verified');
    // The owner is told at her own address: a session left open somewhere could have added it.
    const told = await smtp.waitFor((m) => m.to.includes('nora@example.be') && m.subject === 'Your alerts go to a new contact');
    expect(told.text).toContain('+32 470 98 76 54 was added to your account and now receives the alerts you have turned on.');

    const [twice] = await Promise.all([
      agent.post('/account/alerts/contacts', { channel: 'sms', value: '+32470987654' }),
      agent.post('/account/alerts/contacts', { channel: 'sms', value: '0470 98 76 54' }),
    ]);
    expect(twice.status).toBe(400);
    const again = await agent.post('/account/alerts/contacts', { channel: 'sms', value: '+32470987654' });
    expect(text(again.html)).toContain('This number already receives alerts from your account.');
    const own = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'NORA@example.be' });
    expect(text(own.html)).toContain('This address already receives alerts from your account.');
    const bad = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'not an address' });
    expect([bad.status, text(bad.html).includes('This is not a valid e-mail address.')]).toEqual([400, true]);

    const mailed = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'partner@example.org' });
    const mail = await smtp.waitFor((m) => m.to.includes('partner@example.org'));
    expect(mail.text).toContain('to confirm this address for alerts');
    await agent.post(new URL(mailed.url).pathname, { code: codeIn(mail.text) });
    const full = await agent.post('/account/alerts/contacts', { channel: 'sms', value: '0470 11 22 33' });
    expect(text(full.html)).toContain('You already have 1 of these.');

    const { db, config, users } = idp.services;
    const nora = (await users.findByIdentifier(db, 'nora', 'username'))[0]!;
    const notifications = createNotifications({ db, users, issuerUrl: config.issuerUrl, defaultLocale: 'en' });
    const { id } = await notifications.send(
      { id: 'crisis', name: 'Crisis portal' },
      { recipients: { usernames: ['nora'] }, subject: 'Storm', text: 'Stay in.', severity: 'warning' },
    );
    await gateway.waitFor((r) => (r.json as { to?: string; text?: string }).to === '+32470987654' && /Storm/.test((r.json as { text: string }).text));
    await smtp.waitFor((m) => m.to.includes('partner@example.org') && m.subject.includes('Storm'));
    await smtp.waitFor((m) => m.to.includes('nora@example.be') && m.subject.includes('Storm'));
    const status = await notifications.status('crisis', id);
    expect(JSON.stringify(status)).not.toContain('partner@example.org');
    expect(status!.recipients[0]!.contacts!.map((c) => c.channel).sort()).toEqual(['email', 'sms']);
    expect((await db('audit_log').where({ user_id: nora.id }).pluck('event')).filter((e: string) => e.startsWith('alert_contact'))).toEqual(
      expect.arrayContaining(['alert_contact_added', 'alert_contact_verified']),
    );
  });

  it('counts codes mailed to an address with the other mails it receives because someone asked', async () => {
    const { db, users, hasher } = idp.services;
    /** `name` adds shared@example.org `times` times (removing it between), and says how the last one went. */
    const addShared = async (name: string, times: number) => {
      await users.create(db, {
        username: name,
        email: `${name}@example.be`,
        emailVerified: true,
        passwordHash: await hasher.hash(PASSWORD),
        status: 'active',
        locale: 'en',
      });
      const own = new Agent(idp.issuer);
      await own.login(name, PASSWORD, '/account/alerts');
      let last = '';
      for (let i = 0; i < times; i++) {
        const added = await own.post('/account/alerts/contacts', { channel: 'email', value: 'shared@example.org' });
        last = text(added.html);
        const id = /\/account\/alerts\/contacts\/([0-9a-f-]+)\/verify$/.exec(added.url)?.[1];
        if (id) await own.post(`/account/alerts/contacts/${id}/remove`, {});
      }
      return last;
    };
    // Four accounts, five codes each: RATE_LIMIT_ADDRESS_MAILS (20) for the hour.
    for (const name of ['m1', 'm2', 'm3', 'm4']) expect(await addShared(name, 5)).toContain('We sent a code of 6 digits to shared@example.org.');
    // A fifth account's first still goes out (as an address change's would); its second meets the ceiling.
    expect(await addShared('m5', 1)).toContain('We sent a code of 6 digits to shared@example.org.');
    expect(await addShared('m6', 2)).toMatch(/Too many codes were sent to you\. Try again in (1 hour|\d+ minutes)\./);
  }, 60_000);

  it('stops alerting a contact turned off or removed, and keeps other accounts out of it', async () => {
    const page = (await agent.get('/account/alerts')).html;
    const smsId = /action="\/account\/alerts\/contacts\/([0-9a-f-]+)\/toggle"/.exec(page)![1]!;
    const off = await agent.post(`/account/alerts/contacts/${smsId}/toggle`, {});
    expect(text(off.html)).toContain('Turn on alerts to +32 470 98 76 54');

    const { db, config, users, hasher } = idp.services;
    await users.create(db, {
      username: 'mallory',
      email: 'mallory@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    const mallory = new Agent(idp.issuer);
    await mallory.login('mallory', PASSWORD);
    await mallory.post(`/account/alerts/contacts/${smsId}/remove`, {});
    expect(text((await agent.get('/account/alerts')).html)).toContain('+32 470 98 76 54');

    const before = gateway.requests.length;
    const notifications = createNotifications({ db, users, issuerUrl: config.issuerUrl, defaultLocale: 'en' });
    await notifications.send(
      { id: 'crisis', name: 'Crisis portal' },
      { recipients: { usernames: ['nora'] }, subject: 'Flood', text: 'Go up.', severity: 'critical' },
    );
    await smtp.waitFor((m) => m.to.includes('partner@example.org') && m.subject.includes('Flood'));
    expect(gateway.requests.slice(before)).toEqual([]);

    const removed = await agent.post(`/account/alerts/contacts/${smsId}/remove`, {});
    expect(text(removed.html)).toContain('Removed: no more alerts go there.');
    expect(text(removed.html)).not.toContain('+32 470 98 76 54');
  });
});
