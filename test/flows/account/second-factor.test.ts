// The authenticator app on /account/security over HTTP: added with a first code computed from the secret the page
// shows (the QR code is an image made on the server), the recovery codes shown once and kept only as an HMAC, the
// secret kept encrypted; removed by the person, audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { recoveryCodesOf, secretOf, Totp } from '../../helpers/totp.ts';
import { Agent, text } from './agent.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const PASSWORD = 'correct horse battery staple';

describe('authenticator app on the account pages', () => {
  let idp: TestProvider;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'els', email: 'els@example.be', emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    await users.create(db, { username: 'greta', email: 'greta@example.de', passwordHash: await hasher.hash(PASSWORD), status: 'active', locale: 'de' });
  });
  afterAll(() => idp?.close());

  it('adds the app with a first code, shows the recovery codes once, and removes it', async () => {
    const agent = new Agent(idp.issuer);
    await agent.login('els', PASSWORD);
    let page = await agent.get('/account/security');
    expect(text(page.html)).toContain('Protect your account with a second step at login');

    page = await agent.post('/account/security/totp', {});
    expect(new URL(page.url).pathname).toBe('/account/security/totp');
    expect(page.html).toMatch(/<img class="totp-qr" src="data:image\/svg\+xml;base64,/);
    const secret = secretOf(page.html)!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    // A wrong first code leaves the app inactive.
    const wrong = await agent.post('/account/security/totp/confirm', { code: 'abc' });
    expect(wrong.status).toBe(400);
    expect(text(wrong.html)).toContain('This code is not right.');
    expect(text((await agent.get('/account/security')).html)).toContain('Add an authenticator app');

    const app = new Totp(secret);
    page = await agent.post('/account/security/totp/confirm', { code: await app.next() });
    const codes = recoveryCodesOf(page.html);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(text(page.html)).toContain('They are shown only now.');

    // Stored: the secret sealed, the codes as an HMAC; nothing of either in clear.
    const user = (await idp.services.users.findByIdentifier(idp.db, 'els', 'username'))[0]!;
    const factor = await idp.db('totp_factors').where({ user_id: user.id }).first();
    expect(factor.secret).toMatch(/^v1\./);
    expect(factor.secret).not.toContain(secret);
    const stored = (await idp.db('recovery_codes').where({ user_id: user.id }).select('code_hash')).map((r: { code_hash: string }) => r.code_hash);
    expect(stored).toHaveLength(10);
    for (const c of codes) expect(stored.join(' ')).not.toContain(c.replace('-', ''));

    // Shown once: the page cannot be had again, and starting over is refused while the app is active.
    page = await agent.get('/account/security/totp');
    expect(new URL(page.url).pathname).toBe('/account/security');
    expect(text(page.html)).toContain('Recovery codes left: 10.');
    expect(recoveryCodesOf((await agent.post('/account/security/totp', {})).html)).toHaveLength(0);

    page = await agent.post('/account/security/totp/remove', {});
    expect(text(page.html)).toContain('The authenticator app has been removed.');
    expect(await idp.db('recovery_codes').where({ user_id: user.id })).toHaveLength(0);
    const events = await idp.db('audit_log').where({ user_id: user.id }).whereIn('event', ['second_factor.enrolled', 'second_factor.removed']).orderBy('id');
    expect(events.map((e: { event: string }) => e.event)).toEqual(['second_factor.enrolled', 'second_factor.removed']);
    expect(events[1].details).toMatchObject({ by: 'self' });
    // The owner is told of both, in case it was not them.
    const mails = await idp.db('outbox').where({ user_id: user.id, channel: 'email' }).orderBy('created_at').select('subject');
    expect(mails.map((m: { subject: string }) => m.subject)).toEqual([
      'An authenticator app was added to your account',
      'The authenticator app was removed from your account',
    ]);
  });

  it("tells the owner in the account's own language, not the language of the page they acted on", async () => {
    const agent = new Agent(idp.issuer);
    await agent.login('greta', PASSWORD);
    await agent.get('/account/security?ui_locales=fr');
    const secret = secretOf((await agent.post('/account/security/totp', {})).html)!;
    await agent.post('/account/security/totp/confirm', { code: await new Totp(secret).next() });
    await agent.post('/account/security/totp/remove', {});
    const user = (await idp.services.users.findByIdentifier(idp.db, 'greta', 'username'))[0]!;
    const mails = await idp.db('outbox').where({ user_id: user.id, channel: 'email' }).orderBy('created_at').select('subject');
    expect(mails.map((m: { subject: string }) => m.subject)).toEqual([
      translate('de', 'second_factor.mail.added.title'),
      translate('de', 'second_factor.mail.removed.title'),
    ]);
  });
});
