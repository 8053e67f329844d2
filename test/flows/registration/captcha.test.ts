// The sign-up's ALTCHA on the first form of each mode (open, customer number, invitation slip), as on the recovery
// form: sent without a solution, with a forged one or with one already spent, the form comes back with the CAPTCHA's
// message and what was typed, and nothing is counted, stored or mailed; a solved challenge signs up and the activation
// mail arrives. In Chromium the open form's widget solves its challenge under the strict CSP, from the provider alone.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { launchBrowser, watchPage } from '../../helpers/browser.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { fetchChallenge, forgedSolution, solve } from '../../helpers/captcha.ts';
import { importCustomers } from '../../../provider/domain/customers/customers.ts';
import { importInvitations, type IssuedInvitation } from '../../../provider/domain/invitations/import.ts';
import { Agent, text, type Response } from '../account/agent.ts';
import { activationLink } from './helpers.ts';

const PASSWORD = 'correct horse battery staple';
const MISSING = 'Tick the box “I&#39;m not a robot”, wait until it says “Verified”';
const FAILED = 'The check “I&#39;m not a robot” failed.';
const USED = 'This check “I&#39;m not a robot” was already used.';
/** Every table a sign-up, its limits or its mail would write to. */
const TABLES = ['users', 'invitations', 'customers', 'self_service_flows', 'one_time_tokens', 'rate_limits', 'outbox', 'audit_log', 'consents'];

describe('the sign-up CAPTCHA', () => {
  let idp: TestProvider;
  let sink: SmtpSink;
  let slip: IssuedInvitation;

  beforeAll(async () => {
    sink = await startSmtpSink();
    idp = await startTestProvider('pglite', {
      SMTP_URL: sink.url,
      OUTBOX_POLL_MS: '100',
      REGISTRATION_MODES: 'open,invitation,customer',
      CAPTCHA_COST: '100',
      CAPTCHA_MAX_COUNTER: '200',
    });
    await importCustomers(idp.db, 'Kundennummer,Nachname/Firmenname\nK-1001,Müller GmbH\n', { partial: false });
    [slip] = (await importInvitations(idp.services, 'given name;family name;group\nZoë;Ölçer;3b\n', { partial: false })).imported as [IssuedInvitation];
  });
  afterAll(async () => {
    await idp?.close();
    await sink?.stop();
  });

  const title = (r: Response) => text(/<h1>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');
  const stored = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await idp.db(t).select()] as const)));

  /** The first form of each mode, opened in a new browser, and its fields filled in as a person would. */
  const forms = {
    open: { path: '/registration/open', fields: { email: 'ann@example.be', given_name: 'Ann', family_name: 'De Wit', password: PASSWORD } },
    customer: {
      path: '/registration/customer',
      fields: { name: 'Müller GmbH', customer_number: 'K1001', email: 'info@mueller.example', password: PASSWORD },
    },
    invitation: { path: '/registration/invitation', fields: { username: 'zoe.oelcer', initial_password: '' } },
    // Not a mode's first form, but it mails a sign-up's address as the recovery form mails an account's.
    resend: { path: '/registration/resend', fields: { identifier: 'ann@example.be' } },
  };
  type Mode = keyof typeof forms;

  /** Opens the form in a new browser; `send` posts it filled in, with `altcha` as the widget's field. */
  async function open(mode: Mode) {
    const agent = new Agent(idp.issuer);
    const flow = /name="flow" value="([^"]+)"/.exec((await agent.get(forms[mode].path)).html)?.[1];
    const fields: Record<string, string> = {
      ...forms[mode].fields,
      ...(mode === 'invitation' ? { initial_password: slip.initialPassword } : mode === 'resend' ? {} : { accept_terms: 'yes', accept_privacy: 'yes' }),
      ...(flow ? { flow } : {}),
    };
    return { agent, send: (altcha?: string) => agent.post(forms[mode].path, altcha === undefined ? fields : { ...fields, altcha }) };
  }

  async function send(mode: Mode, altcha?: string) {
    const { agent, send } = await open(mode);
    return { agent, answer: await send(altcha) };
  }

  it.each(['open', 'customer', 'invitation', 'resend'] as const)(
    'gives the %s form back with the message and what was typed, and stores and mails nothing, without a solution or with a forged one',
    async (mode) => {
      const mailed = sink.messages.length;
      for (const [altcha, message] of [
        [undefined, MISSING],
        ['not base64 json', FAILED],
        [await forgedSolution(), FAILED],
      ] as const) {
        const form = await open(mode);
        const before = await stored();
        const answer = await form.send(altcha);
        expect([answer.status, answer.url]).toEqual([400, `${idp.issuer}${forms[mode].path}`]);
        expect(answer.html).toMatch(new RegExp(`<ul class="field-error" id="captcha-error"><li>${message}`));
        for (const [name, value] of Object.entries(forms[mode].fields))
          if (!/password/.test(name)) expect(answer.html).toMatch(new RegExp(`name="${name}"[^>]* value="${value}"`));
        expect(answer.html).toContain('<altcha-widget challenge="/captcha/challenge"');
        expect(await stored()).toEqual(before);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(sink.messages.length).toBe(mailed);
    },
  );

  it('signs up with a solved challenge on the open and customer forms, and the activation mail arrives', async () => {
    for (const mode of ['open', 'customer'] as const) {
      const { answer } = await send(mode, await solve(await fetchChallenge(idp.issuer)));
      expect([answer.status, title(answer)]).toEqual([200, 'Check your e-mail']);
      const mail = await sink.waitFor((m) => m.to.includes(forms[mode].fields.email));
      expect(activationLink(mail)).toContain('/registration/activate?token=');
    }
    // The open sign-up's address asks for its link again.
    const mailed = sink.messages.length;
    const { answer } = await send('resend', await solve(await fetchChallenge(idp.issuer)));
    expect([answer.status, title(answer)]).toEqual([200, 'Check your e-mail']);
    const again = await sink.waitFor((m) => m.to.includes('ann@example.be') && sink.messages.indexOf(m) >= mailed);
    expect(activationLink(again)).toContain('/registration/activate?token=');
  });

  it('takes the slip with a solved challenge to the details, whose sign-up is mailed; a spent solution is refused', async () => {
    const solution = await solve(await fetchChallenge(idp.issuer));
    const { agent, answer } = await send('invitation', solution);
    expect([answer.status, title(answer)]).toEqual([200, 'Check your data']);
    const flow = new URL(answer.url).searchParams.get('flow')!;
    const details = { flow, given_name: 'Zoë', family_name: 'Ölçer', email: 'zoe@example.be', password: PASSWORD, accept_terms: 'yes', accept_privacy: 'yes' };
    expect(title(await agent.post('/registration/invitation/details', details))).toBe('Check your e-mail');
    expect(activationLink(await sink.waitFor((m) => m.to.includes('zoe@example.be')))).toContain('/registration/activate?token=');

    // The outbox worker is still marking the mails above as sent: the outbox is left out, the sink counts.
    const replay = await open('open');
    const { outbox: _sending, ...before } = await stored();
    const mailed = sink.messages.length;
    const refused = await replay.send(solution);
    expect([refused.status, refused.html]).toEqual([400, expect.stringContaining(USED)]);
    const { outbox: _sent, ...after } = await stored();
    expect(after).toEqual(before);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.length).toBe(mailed);
  });

  describe.skipIf(!has('chromium'))('in Chromium', () => {
    let browser: Browser;
    let context: BrowserContext;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());
    afterEach(() => context?.close());

    it('solves the open form’s widget under the strict CSP, with no other host, and the activation mail arrives', async () => {
      context = await browser.newContext({ locale: 'en-GB' });
      context.setDefaultTimeout(15_000);
      const p = await context.newPage();
      const { problems, hosts } = watchPage(p);
      await p.goto(`${idp.issuer}/registration/open`);
      await p.locator('[data-captcha-help]').waitFor({ state: 'hidden' });
      await p.fill('#email', 'widget@example.be');
      await p.fill('#given_name', 'Wim');
      await p.fill('#family_name', 'Peeters');
      await p.fill('#password', PASSWORD);
      await p.check('#accept_terms');
      await p.check('#accept_privacy');
      await p.locator('altcha-widget [data-state="verified"]').waitFor();
      await p.click('button[type=submit].primary');
      await p.waitForLoadState('domcontentloaded');
      expect(await p.locator('h1').innerText()).toBe('Check your e-mail');
      expect(activationLink(await sink.waitFor((m) => m.to.includes('widget@example.be')))).toContain('/registration/activate?token=');
      expect(problems).toEqual([]);
      expect([...hosts]).toEqual([idp.issuer]);
    });
  });
});
