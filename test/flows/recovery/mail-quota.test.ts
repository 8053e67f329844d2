// Nobody can starve an address of its recovery mails: the quota counts per address and requester (IP address, or
// the owner's known browser), under a higher ceiling per address. Another party's requests use up their own
// allowance only; the owner's request from elsewhere still gets its mail, and past the ceiling a browser that has
// logged in to the account still does, and so does one request in half a link's lifetime, whoever makes it: its mail
// goes to the owner's mailbox with the one live link, so requesters on many addresses cannot leave her without one
// (an outsider's seven addresses did, for an hour). Every answer is the same page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithSink, type ProviderWithSink } from './helpers.ts';
import { Agent } from '../account/agent.ts';
import { waitUntil } from '../../helpers/wait.ts';

const PASSWORD = 'a long enough password';

describe('recovery mail quotas', () => {
  let running: ProviderWithSink;
  beforeAll(async () => {
    // Behind a proxy, so each request can say which client address it comes from.
    running = await startWithSink({ CAPTCHA: 'off', TRUST_PROXY: 'true', RATE_LIMIT_RECOVERY: '3', RATE_LIMIT_ADDRESS_MAILS: '5' });
    const { db, users, hasher } = running.idp.services;
    for (const name of ['lea', 'mia', 'noor'])
      await users.create(db, { username: `${name}.janssens`, email: `${name}@example.be`, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
  });
  afterAll(() => running?.close());

  /** A recovery request from client address `ip`; returns the page's text. */
  async function ask(email: string, ip: string): Promise<string> {
    const base = running.idp.issuer;
    const page = await fetch(`${base}/recovery`, { headers: { 'x-forwarded-for': ip } });
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await fetch(`${base}/recovery`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base, 'x-forwarded-for': ip },
      body: new URLSearchParams({ _csrf: csrf, email }),
    });
    expect(res.status).toBe(200);
    return await res.text();
  }

  /** Waits for the outbox to deliver, then counts what reached the address's inbox. */
  const mailsTo = async (address: string, expected: number) => {
    const count = () => running.sink.messages.filter((m) => m.to.includes(address) && m.subject === 'Password reset requested').length;
    await running.idp.outbox.drain();
    await waitUntil(() => count() >= expected || undefined, 10_000, `${expected} mails to ${address}`);
    // Long enough for one more mail to arrive, had one been sent.
    await running.idp.outbox.drain();
    await new Promise((r) => setTimeout(r, 300));
    return count();
  };

  it('counts an IPv6 /64 as one requester', async () => {
    for (let i = 1; i <= 4; i++) expect(await ask('lea@example.be', `2001:db8:5:6::${i}`)).toContain('we have sent you an e-mail');
    expect(await mailsTo('lea@example.be', 3)).toBe(3);
  }, 60_000);

  it("stops at the ceiling of the address, and past it sends one mail in half a link's lifetime, with the live link", async () => {
    for (let i = 0; i < 5; i++) await ask('mia@example.be', '198.51.100.7');
    expect(await mailsTo('mia@example.be', 3)).toBe(3);
    for (let i = 0; i < 2; i++) await ask('mia@example.be', '198.51.100.8');
    expect(await mailsTo('mia@example.be', 5)).toBe(5);
    // The ceiling (5 an hour) is reached: the owner's request, the first past it, still gets a mail with a live link.
    expect(await ask('mia@example.be', '203.0.113.5')).toContain('we have sent you an e-mail');
    expect(await mailsTo('mia@example.be', 6)).toBe(6);
    const newest = running.sink.messages.filter((m) => m.to.includes('mia@example.be')).at(-1)!;
    const link = /https?:\/\/\S+\/recovery\/reset\?token=[^\s"<]+/.exec(newest.text)![0];
    expect(await (await fetch(link)).text()).toContain('Choose a new password');
    // The next one, in the same half of the link's lifetime, gets none, whoever asks.
    await ask('mia@example.be', '203.0.113.6');
    expect(await mailsTo('mia@example.be', 6)).toBe(6);
  }, 60_000);

  it('gives each requester its own allowance, and a browser that has logged in to the account one above the ceiling', async () => {
    for (let i = 0; i < 4; i++) await ask('noor@example.be', '198.51.100.7');
    expect(await mailsTo('noor@example.be', 3)).toBe(3);
    // The owner, from her own connection: her mail arrives although the attacker's requests came first.
    await ask('noor@example.be', '203.0.113.5');
    expect(await mailsTo('noor@example.be', 4)).toBe(4);
    // The ceiling, then the one mail past it in half a link's lifetime.
    for (let i = 0; i < 3; i++) await ask('noor@example.be', '198.51.100.99');
    expect(await mailsTo('noor@example.be', 6)).toBe(6);
    // Then only the owner's known browser gets a mail.
    await ask('noor@example.be', '203.0.113.5');
    expect(await mailsTo('noor@example.be', 6)).toBe(6);
    const own = new Agent(running.idp.issuer);
    expect((await own.login('noor.janssens', PASSWORD)).url).toContain('/account');
    await own.get('/recovery');
    expect((await own.raw('/recovery', { form: { email: 'noor@example.be' } })).status).toBe(200);
    expect(await mailsTo('noor@example.be', 7)).toBe(7);
  }, 60_000);
});
