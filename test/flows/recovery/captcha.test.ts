// The recovery form's ALTCHA: a missing, wrong, forged, expired (fake clock) or replayed solution is refused
// with its own message and sends nothing; a solved challenge passes once. In Chromium the real widget, served by
// the provider itself, solves its challenge under the strict CSP with no request to another host, and the page
// says what to do when the widget cannot run.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Challenge } from 'altcha-lib';
import type { Browser, BrowserContext } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import type { TestProvider } from '../../helpers/provider.ts';
import { launchBrowser, watchPage } from '../../helpers/browser.ts';
import type { SmtpSink } from '../../helpers/smtp-sink.ts';
import { encode, fetchChallenge, forgedSolution, solve } from '../../helpers/captcha.ts';
import { openForm, startWithSink, type ProviderWithSink } from './helpers.ts';

describe('the recovery CAPTCHA', () => {
  let running: ProviderWithSink;
  let idp: TestProvider;
  let sink: SmtpSink;

  beforeAll(async () => {
    running = await startWithSink({ CAPTCHA_COST: '100', CAPTCHA_MAX_COUNTER: '200', RATE_LIMIT_RECOVERY: '50' });
    ({ idp, sink } = running);
    const { db, users } = idp.services;
    await users.create(db, { username: 'x.y', email: 'xy@example.be', status: 'active' });
  });

  afterAll(() => running?.close());

  afterEach(() => {
    vi.useRealTimers();
  });

  const challenge = () => fetchChallenge(idp.issuer);

  async function send(altcha?: string) {
    const form = await openForm(idp.issuer, '/recovery');
    const res = await form.post('/recovery', { email: 'xy@example.be', ...(altcha === undefined ? {} : { altcha }) });
    return { status: res.status, text: await res.text() };
  }

  it('hands out signed, expiring, fresh challenges and no cache', async () => {
    const res = await fetch(`${idp.issuer}/captcha/challenge`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const a = (await res.json()) as Challenge;
    const b = await challenge();
    expect(a.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(a.parameters).toMatchObject({ algorithm: 'PBKDF2/SHA-256', cost: 100 });
    expect(a.parameters.expiresAt! - Date.now() / 1000).toBeGreaterThan(590);
    expect(a.parameters.nonce).not.toBe(b.parameters.nonce);
  });

  it('refuses a missing, malformed, wrong or forged solution with its own message and sends nothing', async () => {
    const before = sink.messages.length;
    const missing = await send();
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Tick the box “I&#39;m not a robot”, wait until it says “Verified”');
    expect((await send('not base64 json')).text).toContain('The check “I&#39;m not a robot” failed.');

    const solved = JSON.parse(Buffer.from(await solve(await challenge()), 'base64').toString());
    const wrongKey = await send(encode({ ...solved, solution: { ...solved.solution, derivedKey: '00'.repeat(32) } }));
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.text).toContain('failed');
    const easier = await send(encode({ ...solved, challenge: { ...solved.challenge, parameters: { ...solved.challenge.parameters, cost: 1 } } }));
    expect(easier.text).toContain('failed');
    expect((await send(await forgedSolution())).text).toContain('failed');
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.messages.length).toBe(before);
  });

  it('accepts a solved challenge once: a replay is refused', async () => {
    const payload = await solve(await challenge());
    const first = await send(payload);
    expect(first.status).toBe(200);
    expect(first.text).toContain('If an account is linked to this address, we have sent you an e-mail.');
    await sink.waitFor((m) => m.to.includes('xy@example.be'));
    const replay = await send(payload);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('This check “I&#39;m not a robot” was already used.');
  });

  it('refuses a solution sent after the challenge expired (fake clock)', async () => {
    const payload = await solve(await challenge());
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 601_000);
    const late = await send(payload);
    expect(late.status).toBe(400);
    expect(late.text).toContain('The check “I&#39;m not a robot” has expired.');
  });

  describe.skipIf(!has('chromium'))('in Chromium', () => {
    let browser: Browser;
    let context: BrowserContext;

    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());
    afterEach(() => context?.close());

    async function page(options: { javaScriptEnabled?: boolean } = {}) {
      context = await browser.newContext({ locale: 'en-GB', ...options });
      context.setDefaultTimeout(15_000);
      const p = await context.newPage();
      const { problems, hosts } = watchPage(p);
      p.on('response', (r) => {
        // Chromium asks for a favicon on its own.
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
      });
      return { p, problems, hosts };
    }

    it('runs the self-hosted widget under the strict CSP, with no other host, and the form goes through', async () => {
      const { p, problems, hosts } = await page();
      const before = sink.messages.length;
      await p.goto(`${idp.issuer}/recovery`);
      await p.locator('[data-captcha-help]').waitFor({ state: 'hidden' });
      await p.fill('#email', 'xy@example.be');
      await p.locator('altcha-widget [data-state="verified"]').waitFor();
      expect(await p.locator('altcha-widget').innerText()).toContain('Verified');
      await p.click('button[type=submit].primary');
      await p.waitForLoadState('domcontentloaded');
      expect(await p.locator('h1').innerText()).toBe('Check your mailbox');
      await sink.waitFor((m) => sink.messages.indexOf(m) >= before && m.to.includes('xy@example.be'));
      expect(problems).toEqual([]);
      expect([...hosts]).toEqual([idp.issuer]);
    });

    it('shows the widget in the page language', async () => {
      const { p, problems } = await page();
      await p.goto(`${idp.issuer}/recovery?ui_locales=nl`);
      await p.locator('[data-captcha-help]').waitFor({ state: 'hidden' });
      expect(await p.locator('altcha-widget').innerText()).toContain('Ik ben geen robot');
      expect(problems).toEqual([]);
    });

    it('says what to do when the widget is blocked, and when scripts do not run at all', async () => {
      const blocked = await page();
      await context.route('**/static/altcha/altcha.js', (r) => r.abort());
      await blocked.p.goto(`${idp.issuer}/recovery`);
      await blocked.p.waitForLoadState('load');
      const help = blocked.p.locator('[data-captcha-help]');
      expect(await help.isVisible()).toBe(true);
      expect(await help.innerText()).toContain('it is probably blocked, or your browser is out of date');
      expect(await help.innerText()).toContain('another device: a smartphone, a tablet or a personal computer');
      await context.close();

      const noScript = await page({ javaScriptEnabled: false });
      await noScript.p.goto(`${idp.issuer}/recovery`);
      expect(await noScript.p.locator('[data-captcha-help]').isVisible()).toBe(true);
      await noScript.p.fill('#email', 'xy@example.be');
      await noScript.p.click('button[type=submit].primary');
      await noScript.p.waitForLoadState('domcontentloaded');
      expect(await noScript.p.locator('#captcha-error').innerText()).toContain('Tick the box');
      expect(await noScript.p.locator('[data-captcha-help]').isVisible()).toBe(true);
    });
  });
});
