// ui_locales in the address of a page that answers with a redirect (`/registration` to its only mode, `/account` to
// the login) holds on the page the redirect leads to and after it, in a browser whose own language is English:
// the sign-up form, the account it creates and that account's activation mail, the login page of the account pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { Agent, text, type Response } from '../../flows/account/agent.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const heading = (r: Response) => text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');

describe('the language asked for in the address of a redirect', () => {
  let idp: TestProvider;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: sink.url, OUTBOX_POLL_MS: '100', REGISTRATION_MODES: 'open', CAPTCHA: 'off' });
  });
  afterAll(async () => {
    await idp?.close();
    await sink?.stop();
  });

  it('holds on the sign-up form /registration leads to, for the account and its activation mail', async () => {
    const agent = new Agent(idp.issuer);
    const form = await agent.get('/registration?ui_locales=nl');
    expect(new URL(form.url).pathname).toBe('/registration/open');
    expect(heading(form)).toBe(translate('nl', 'registration.open.title'));

    const flow = /name="flow" value="([^"]+)"/.exec(form.html)![1]!;
    const fields = { flow, email: 'lotte@example.be', given_name: 'Lotte', family_name: 'Peeters', password: 'correct horse battery staple' };
    const sent = await agent.post('/registration/open', { ...fields, accept_terms: 'yes', accept_privacy: 'yes' });
    expect(heading(sent)).toBe(translate('nl', 'registration.sent.title'));
    const mail = await sink.waitFor((m) => m.to.includes('lotte@example.be'));
    expect(mail.subject).toBe(translate('nl', 'registration.mail.activation.subject'));
  });

  it('holds on the login page /account leads to', async () => {
    const login = await new Agent(idp.issuer).get('/account?ui_locales=fr');
    expect(heading(login)).toBe(translate('fr', 'login.title'));
  });
});
