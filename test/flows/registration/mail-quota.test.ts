// Signing up with someone else's address cannot starve it of activation mails: the mails are counted per address
// and requester (IP address, a /64 for IPv6), so another party's five sign-ups use up its own allowance only and
// the owner's sign-up from her own connection still gets its activation mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { waitUntil } from '../../helpers/wait.ts';

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
