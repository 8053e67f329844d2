// Signing up with someone else's address cannot starve it of activation mails: the mails are counted per address
// and requester (IP address, a /64 for IPv6), so another party's five sign-ups use up its own allowance only and
// the owner's sign-up from her own connection still gets its activation mail. A party on several networks can fill
// the address's ceiling, and the owner's sign-up then gets no mail; but the owner has his mails, and any of their
// links lets her sign up again, past the ceiling, with a password of her own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { Agent, text } from '../account/agent.ts';

describe('sign-up mail quotas', () => {
  let idp: TestProvider;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: sink.url, OUTBOX_POLL_MS: '100', REGISTRATION_MODES: 'open', CAPTCHA: 'off', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await idp?.close();
    await sink?.stop();
  });

  /** An open sign-up from client address `ip` (each with its own flow, as from a fresh browser). */
  async function signUp(email: string, ip: string) {
    const base = idp.issuer;
    const page = await fetch(`${base}/registration/open`, { headers: { 'x-forwarded-for': ip } });
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const html = await page.text();
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
    const res = await fetch(`${base}/registration/open`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base, 'x-forwarded-for': ip },
      body: new URLSearchParams({
        _csrf: field('_csrf'),
        flow: field('flow'),
        email,
        given_name: 'Zoë',
        family_name: 'Wouters',
        password: 'Vlinder-zomer-2031-kast',
        accept_terms: 'yes',
        accept_privacy: 'yes',
      }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/registration\/sent\?flow=/);
  }

  const activationMails = async (expected: number) => {
    const count = () => sink.messages.filter((m) => m.to.includes('zoe@example.be') && m.subject === 'Activate your account').length;
    await idp.outbox.drain();
    await waitUntil(() => count() >= expected || undefined, 10_000, `${expected} activation mails`);
    await idp.outbox.drain();
    await new Promise((r) => setTimeout(r, 300));
    return count();
  };

  it("still mails the owner's own sign-up after another party's five", async () => {
    for (let i = 0; i < 6; i++) await signUp('zoe@example.be', '198.51.100.7');
    expect(await activationMails(5)).toBe(5);
    await signUp('zoe@example.be', '203.0.113.5');
    expect(await activationMails(6)).toBe(6);
  }, 60_000);
});

describe('the owner past the ceiling, with a link mailed to her address', () => {
  let idp: TestProvider;
  let sink: SmtpSink;
  // Two mails per address and requester, eight per address: a party on four networks fills the ceiling.
  beforeAll(async () => {
    sink = await startSmtpSink();
    idp = await startTestProvider('pglite', {
      SMTP_URL: sink.url,
      OUTBOX_POLL_MS: '100',
      REGISTRATION_MODES: 'open',
      CAPTCHA: 'off',
      TRUST_PROXY: 'true',
      RATE_LIMIT_REGISTRATION_MAILS: '2',
      RATE_LIMIT_ADDRESS_MAILS: '8',
      SIGN_UP_RESPONSE_MS: '50',
    });
  });
  afterAll(async () => {
    await idp?.close();
    await sink?.stop();
  });

  const ATTACKER = 'Mallory kent dit wachtwoord 2031';
  const OWNER = 'Vlinder-zomer-2031-kast';
  // Four /64s of one home network's /56.
  const ATTACKER_NETWORKS = ['2001:db8:77:1::5', '2001:db8:77:2::5', '2001:db8:77:3::5', '2001:db8:77:4::5'];

  /** A browser on client address `ip`. */
  const browserAt = (ip: string) => {
    const agent = new Agent(idp.issuer);
    agent.headers['x-forwarded-for'] = ip;
    return agent;
  };

  /** Sends the open sign-up form `form` (a page of `agent`) with `email` and `password`; returns the answer's text. */
  async function sendForm(agent: Agent, form: { html: string }, email: string, password: string) {
    const flow = /name="flow" value="([^"]+)"/.exec(form.html)![1]!;
    const answer = await agent.post('/registration/open', {
      flow,
      email,
      given_name: 'Zoë',
      family_name: 'Wouters',
      password,
      accept_terms: 'yes',
      accept_privacy: 'yes',
    });
    expect(answer.url).toMatch(/\/registration\/sent\?flow=/);
    return text(answer.html);
  }

  const signUp = async (agent: Agent, email: string, password: string) => sendForm(agent, await agent.get('/registration/open'), email, password);

  const mailsTo = (address: string) => sink.messages.filter((m) => m.to.includes(address) && m.subject === 'Activate your account');

  /** Waits for the outbox to send what it holds; the activation mails `address` has received. */
  async function settled(address: string, expected: number) {
    await idp.outbox.drain();
    await waitUntil(() => mailsTo(address).length >= expected || undefined, 10_000, `${expected} activation mails to ${address}`);
    await idp.outbox.drain();
    await new Promise((r) => setTimeout(r, 300));
    return mailsTo(address);
  }

  const linkOf = (mail: { text: string }) => {
    const link = /https?:\/\/\S+\/registration\/activate\?token=([\w-]+)/.exec(mail.text);
    if (!link) throw new Error(`no activation link in: ${mail.text}`);
    return { path: `/registration/activate?token=${link[1]}`, token: link[1]! };
  };

  /** The one live link among `mails` (the newest issued; the outbox may deliver them in another order), and its page. */
  async function liveLink(agent: Agent, mails: { text: string }[]) {
    for (const mail of mails) {
      const link = linkOf(mail);
      const page = await agent.get(link.path);
      if (page.status === 200) return { ...link, page };
    }
    throw new Error('no live activation link');
  }

  /** The "register again" the link's page offers: its form sent, and the page it leads to. */
  const registerAgain = (agent: Agent, token: string) => agent.post('/registration/open/again', { token });

  /** A party on four networks signs up twice from each with `victim`: the address's ceiling is full. */
  async function fillCeiling(victim: string) {
    for (const ip of ATTACKER_NETWORKS) {
      const attacker = browserAt(ip);
      for (let i = 0; i < 2; i++) await signUp(attacker, victim, ATTACKER);
    }
    expect(await settled(victim, 8)).toHaveLength(8);
  }

  it('lets the owner sign up again with a link of the flood, and activate with her own password', async () => {
    const zoe = 'zoe@example.be';
    await fillCeiling(zoe);

    // Her own sign-up, from her own connection: the same answer, but no mail (the documented ceiling).
    const owner = browserAt('203.0.113.9');
    expect(await signUp(owner, zoe, OWNER)).toContain('Check your e-mail');
    expect(await settled(zoe, 8)).toHaveLength(8);

    // The newest link asks for the attacker's password; below it, an offer to register again.
    const mails = mailsTo(zoe);
    const newest = await liveLink(owner, mails);
    const activation = newest.page;
    expect(text(activation.html)).toContain('Confirm that zoe@example.be is your e-mail address');
    expect(text(activation.html)).toContain('Did you not register, or did you forget the password you chose?');
    expect(text(activation.html)).toContain('Register again with this address');
    expect(activation.html).not.toMatch(/action="\/registration\/open\/again"[^>]*\?/);
    // An older mail's link was replaced by the newer sign-ups; its page offers the same.
    const replaced = await owner.get(linkOf(mails.find((m) => linkOf(m).token !== newest.token)!).path);
    expect(replaced.status).toBe(410);
    expect(text(replaced.html)).toContain('This link has been replaced');
    expect(text(replaced.html)).toContain('Did you not register, or did you forget the password you chose?');

    // Following it: the sign-up form, the address filled in and said to be hers.
    const form = await registerAgain(owner, newest.token);
    expect(form.url).toMatch(/\/registration\/open\?flow=[\w-]+$/);
    expect(form.url).not.toContain(newest.token);
    expect(text(form.html)).toContain('zoe@example.be is your e-mail address: you opened a link we sent to it.');
    expect(form.html).toMatch(/id="email"[^>]*value="zoe@example.be"|value="zoe@example.be"[^>]*id="email"/);
    // Staff see the proof in the audit trail, under the pending account it will replace, without the address.
    const [proof] = await idp.db('audit_log').where({ event: 'registration.address_proven' });
    expect(proof.user_id).toBe((await idp.db('users').whereRaw('lower(email) = ?', [zoe]).first('id')).id);
    expect(JSON.stringify(proof.details)).not.toContain('zoe');
    expect(await sendForm(owner, form, zoe, OWNER)).toContain('Check your e-mail');

    // Her sign-up is mailed past the ceiling, and replaced the attacker's: his link is void, his password refused.
    const after = await settled(zoe, 9);
    expect(after).toHaveLength(9);
    expect((await owner.get(newest.path)).status).toBe(410);
    const hers = await liveLink(owner, after);
    const wrong = await owner.post('/registration/activate', { token: hers.token, password: ATTACKER });
    expect(text(wrong.html)).toContain('This is not the password chosen at sign-up');
    const activated = await owner.post('/registration/activate', { token: hers.token, password: OWNER });
    expect(text(activated.html)).toContain('You can now log in with zoe@example.be and your password.');

    // She logs in with her password; his does not work.
    const his = await browserAt(ATTACKER_NETWORKS[0]!).login(zoe, ATTACKER);
    expect(his.url).not.toMatch(/\/account$/);
    const her = await browserAt('203.0.113.9').login(zoe, OWNER);
    expect(her.url).toMatch(/\/account$/);
  }, 90_000);

  it('lets one link send one sign-up past the ceiling: a forwarded or kept link cannot mail the address again and again', async () => {
    const lina = 'lina@example.be';
    await fillCeiling(lina);
    const link = linkOf(mailsTo(lina)[0]!);
    // Two browsers on two networks, each within its own allowance, both from the same link's page.
    const again = async (ip: string) => {
      const browser = browserAt(ip);
      await browser.get(link.path);
      return sendForm(browser, await registerAgain(browser, link.token), lina, OWNER);
    };
    expect(await again('198.51.100.41')).toContain('Check your e-mail');
    expect(await settled(lina, 9)).toHaveLength(9);
    expect(await again('198.51.100.42')).toContain('Check your e-mail');
    expect(await settled(lina, 9)).toHaveLength(9);
  }, 90_000);

  it('gives a proven sign-up with another address no mail past that address’s ceiling', async () => {
    const noor = 'noor@example.be';
    const other = 'olaf@example.be';
    await fillCeiling(other);
    // Noor has a link to her own address.
    const noorsBrowser = browserAt('198.51.100.20');
    await signUp(noorsBrowser, noor, OWNER);
    const [link] = await settled(noor, 1);
    // She registers again from it, but with the address whose ceiling is full: no bypass, no mail.
    const form = await registerAgain(noorsBrowser, linkOf(link!).token);
    expect(text(form.html)).toContain('noor@example.be is your e-mail address');
    expect(await sendForm(noorsBrowser, form, other, OWNER)).toContain('Check your e-mail');
    expect(await settled(other, 8)).toHaveLength(8);
  }, 90_000);

  it('proves nothing of an address by a link to another that the same browser’s sign-up replaced', async () => {
    // A sign-up with one's own address, then from the same browser with another: the pending account moved to it.
    const browser = browserAt('198.51.100.30');
    await signUp(browser, 'piet@example.be', OWNER);
    const [own] = await settled('piet@example.be', 1);
    await signUp(browser, 'pieter@example.be', OWNER);
    await settled('pieter@example.be', 1);
    // The replaced link to the first address offers no sign-up again, nor starts one, for the account's new address.
    const replaced = await browser.get(linkOf(own!).path);
    expect(text(replaced.html)).toContain('This link has been replaced');
    expect(text(replaced.html)).not.toContain('Register again with this address');
    const again = await registerAgain(browser, linkOf(own!).token);
    expect(again.url).toMatch(/\/registration\/open\/again$/);
    expect(text(again.html)).toContain('This link has been replaced');
  }, 60_000);
});
