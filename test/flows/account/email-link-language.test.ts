// The link that confirms a new e-mail address is opened on whatever device reads that address, often one that has
// never seen the provider: it opens its page in the mail's language (the account's), not in that browser's. So does
// the action of every notice mail (its one link).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';
import { Agent, text } from './agent.ts';

const PASSWORD = 'correct horse battery staple';
const heading = (html: string) => text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');

describe("the e-mail change link's language", () => {
  let idp: TestProvider;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100' });
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      username: 'louise',
      email: 'louise@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      locale: 'fr',
    });
  });
  afterAll(async () => {
    await idp?.close();
    await smtp?.stop();
  });

  it("opens the confirmation page in the French of the account's mail, in an English browser", async () => {
    const agent = new Agent(idp.issuer);
    await agent.login('louise', PASSWORD);
    await agent.get('/account/email');
    await agent.post('/account/email', { email: 'louise@example.org' });
    const mail = await smtp.waitFor((m) => m.to.includes('louise@example.org'));
    expect(mail.subject).toBe(translate('fr', 'account.mail.email_verify.title'));
    const href = new URL(/https?:\/\/\S+\/account\/email\/verify\?\S+/.exec(mail.text)![0]);
    const page = await new Agent(idp.issuer).get(href.pathname + href.search);
    expect(heading(page.html)).toBe(translate('fr', 'account.email.verify.title'));

    // The notice to the old address: its action leads through the login, which is French too (it was English).
    const notice = await smtp.waitFor((m) => m.to.includes('louise@example.be') && m.subject === translate('fr', 'account.mail.email_change_notice.title'));
    const action = new URL(/https?:\/\/\S+\/account\/security\S*/.exec(notice.text)![0]);
    expect(action.searchParams.get('ui_locales')).toBe('fr');
    const login = await new Agent(idp.issuer).get(action.pathname + action.search);
    expect(heading(login.html)).toBe(translate('fr', 'login.title'));
  });
});
