// Found by an outside review: an account of open sign-up has no username, yet its profile showed "Username —" and
// "You log in with your username", its password rules forbade containing one, and the recovery page, mail and reset
// page spoke of "the user marie@…" and "your username: it is shown above". Such an account is named by the address
// it logs in with; an account with a username keeps its texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithSink, type ProviderWithSink } from '../recovery/helpers.ts';
import { Agent, text } from './agent.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';

describe('what the pages call an account without a username', () => {
  let running: ProviderWithSink;
  beforeAll(async () => {
    running = await startWithSink({ CAPTCHA: 'off' });
    const { db, users, hasher } = running.idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: null, email: 'marie.dubois@example.be', emailVerified: true, passwordHash, status: 'active', locale: 'en' });
    await users.create(db, { username: 'jan.peeters', email: 'jan@example.be', emailVerified: true, passwordHash, status: 'active', locale: 'en' });
  });
  afterAll(() => running?.close());

  async function pages(login: string) {
    const agent = new Agent(running.idp.issuer);
    expect((await agent.login(login, PASSWORD)).url).toBe(`${running.idp.issuer}/account`);
    return { profile: text((await agent.get('/account')).html), security: text((await agent.get('/account/security')).html) };
  }

  /** The recovery answer for `email`, the mail it sends, and the reset page its link opens. */
  async function recover(email: string) {
    const agent = new Agent(running.idp.issuer);
    await agent.get('/recovery');
    const sent = text((await agent.post('/recovery', { email })).html);
    const mail = await running.sink.waitFor((m) => m.to.includes(email));
    const link = /https?:\/\/\S+\/recovery\/reset\?\S+/.exec(mail.text)![0];
    return { sent, mail: mail.text, reset: text((await agent.get(link)).html) };
  }

  it('names an account without a username by its address, and lists no rule about a username', async () => {
    const { profile, security } = await pages('marie.dubois@example.be');
    expect(profile).not.toContain('Username');
    expect(profile).toContain('You log in with your e-mail address.');
    expect(security).toContain('Does not contain the part of your e-mail address before the @');
    expect(security).not.toContain('your username');

    const { sent, mail, reset } = await recover('marie.dubois@example.be');
    expect(sent).not.toContain('It gives your username');
    expect(sent).toContain('and your username if your account has one');
    expect(mail).toContain('A password change was requested for the account with the e-mail address marie.dubois@example.be.');
    expect(mail).not.toContain('the user marie.dubois@example.be');
    expect(mail).not.toContain('forgot your username');
    expect(reset).toContain('For the account with the e-mail address marie.dubois@example.be.');
    expect(reset).not.toContain('your username');
  });

  it('keeps the texts of an account with a username', async () => {
    const { profile, security } = await pages('jan.peeters');
    expect(profile).toContain('Username jan.peeters');
    expect(profile).toContain('You log in with your username. It cannot be changed.');
    expect(security).toContain('Does not contain your username');

    const { mail, reset } = await recover('jan@example.be');
    expect(mail).toContain('A password change was requested for the user jan.peeters.');
    expect(mail).toContain('If you only forgot your username: it is shown above, you need do nothing else.');
    expect(reset).toContain('For the user jan.peeters.');
    expect(reset).toContain('Does not contain your username');
  });
});
