// The sign-up's mails in the language of the account they are about, with links that open their pages in it on a
// device that has never seen the provider (a browser in English): "you already have an account" in the existing
// account's language whatever page the sign-up came from, with its "Reset my password"; the activation link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { Agent, text, type Response } from '../account/agent.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const heading = (r: Response) => text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');

describe("the sign-up's mails and their links", () => {
  let idp: TestProvider;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: sink.url, OUTBOX_POLL_MS: '100', REGISTRATION_MODES: 'open', CAPTCHA: 'off' });
    await idp.services.users.create(idp.db, { email: 'wout@example.be', status: 'active', locale: 'nl' });
  });
  afterAll(async () => {
    await idp?.close();
    await sink?.stop();
  });

  /** Signs up with `email` on the open form at `path`, in a browser whose own language is English; the mail it gets. */
  async function signUp(path: string, email: string): Promise<ReceivedMail> {
    const agent = new Agent(idp.issuer);
    const form = await agent.get(path);
    const flow = /name="flow" value="([^"]+)"/.exec(form.html)![1]!;
    const fields = { flow, email, given_name: 'Wout', family_name: 'Claes', password: 'correct horse battery staple' };
    await agent.post('/registration/open', { ...fields, accept_terms: 'yes', accept_privacy: 'yes' });
    return sink.waitFor((m) => m.to.includes(email));
  }

  /** The page the mail's link to `path` opens in another browser, in English. */
  const opened = async (mail: ReceivedMail, path: string) => {
    const href = new RegExp(`https?://\\S+${path}(?:\\?\\S*)?`).exec(mail.text)![0];
    return new Agent(idp.issuer).get(new URL(href).pathname + new URL(href).search);
  };

  it('says "you already have an account" in the Dutch of that account, from an English page', async () => {
    const mail = await signUp('/registration/open', 'wout@example.be');
    expect(mail.subject).toBe(translate('nl', 'registration.mail.exists.subject'));
  });

  it('opens that mail\'s "Reset my password" in its language', async () => {
    const mail = sink.messages.find((m) => m.to.includes('wout@example.be'))!;
    expect(heading(await opened(mail, '/recovery'))).toBe(translate('nl', 'recovery.request.title'));
  });

  it("opens the activation link in the mail's language", async () => {
    const mail = await signUp('/registration/open?ui_locales=de', 'jana@example.de');
    expect(mail.subject).toBe(translate('de', 'registration.mail.activation.subject'));
    expect(heading(await opened(mail, '/registration/activate'))).toBe(translate('de', 'registration.activate.title'));
  });
});
