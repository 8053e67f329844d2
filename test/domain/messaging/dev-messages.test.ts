// The development page of sent messages, through a real Koa app: list, one message, escaping, unknown ids.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../helpers/db.ts';
import { notice } from './fixtures.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { enqueueMail, enqueueSms } from '../../../provider/domain/messaging/outbox.ts';
import { devMessagesRouter } from '../../../provider/domain/messaging/dev-messages.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';

describe('dev messages page', () => {
  let db: Db;
  let server: http.Server;
  let base: string;
  let mailId: string;
  // node:http, whose Host header can be set (fetch sends the URL's).
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; html: string }>((resolve, reject) => {
      http
        .get(`${base}${path}`, { headers }, (res) => {
          let html = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (html += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, html }));
        })
        .on('error', reject);
    });

  beforeAll(async () => {
    ({ db } = await testDb('pglite'));
    mailId = await enqueueMail(
      db,
      notice('ann@example.org', {
        params: {
          title: { key: 'mail.test.title' },
          paragraphs: [{ key: 'login.for_client', params: { client: '<script>alert(1)</script>' } }],
          action: { href: 'https://idp.example.org/activate?token=t1&a=b', label: { key: 'login.submit' } },
        },
      }),
    );
    await enqueueSms(db, { to: '+32490123456', text: 'Your code: 481234' });
    const router = devMessagesRouter(db, 'http://idp.test:3000');
    const app = new Koa();
    app.use(router.routes());
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await db.destroy();
  });

  it('lists the latest messages with clickable links and nothing unescaped', async () => {
    const { status, html } = await get('/dev/messages', { 'accept-language': 'en' });
    expect(status).toBe(200);
    expect(html).toContain('Sent messages (development)');
    expect(html).toContain(`<a href="/dev/messages/${mailId}">Test message</a>`);
    expect(html).toContain('<a href="https://idp.example.org/activate?token=t1&amp;a=b"><code>https://idp.example.org/activate?token=t1&amp;a=b</code></a>');
    expect(html).toContain('Your code: 481234');
    expect(html).toContain('+32490123456');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it("writes the recipient and the attempts as the page's language writes a colon", async () => {
    const en = (await get('/dev/messages', { 'accept-language': 'en' })).html;
    expect(en).toContain('<dd>E-mail: ann@example.org</dd>');
    expect(en).toMatch(/, attempts: 0<\/dd>/);
    // French puts a no-break space before the colon.
    const fr = (await get('/dev/messages', { 'accept-language': 'fr' })).html;
    expect(fr).toContain('<dd>E-mail\u00a0: ann@example.org</dd>');
    expect(fr).toMatch(/, tentatives\u00a0: 0<\/dd>/);
  });

  it('shows one mail with its text and its HTML in a sandboxed frame, in the request language', async () => {
    const { status, html } = await get(`/dev/messages/${mailId}`, { 'accept-language': 'de' });
    expect(status).toBe(200);
    expect(html).toContain('<html lang="de"');
    expect(html).toContain(`<iframe sandbox="" src="/dev/messages/${mailId}/html"`);
    expect(html).toMatch(/<textarea readonly[^>]*>&lt;!doctype html&gt;/);
    expect(html).not.toContain('<script>');
  });

  it('serves the HTML part as its own document under a policy that allows no script and no fetch', async () => {
    const res = await fetch(`${base}/dev/messages/${mailId}/html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'; style-src 'unsafe-inline'/);
    const body = await res.text();
    expect(body).toMatch(/^<!doctype html>/);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const sms = (await db('outbox').where({ channel: 'sms' }).first()) as { id: string };
    expect((await get(`/dev/messages/${sms.id}/html`)).status).toBe(404);
  });

  it("is not served under a name other than a loopback one or ISSUER's, as a rebound DNS name would ask for it", async () => {
    for (const host of [
      'rebind.attacker.example',
      'rebind.attacker.example:3000',
      'idp.test.attacker.example',
      '10.0.0.5:3000',
      '127.0.0.1.attacker.example',
      '127.attacker.example:3000',
    ]) {
      const { status, html } = await get('/dev/messages', { host, 'accept-language': 'en' });
      expect(status, host).toBe(404);
      expect(html, host).not.toContain('481234');
    }
    expect((await get(`/dev/messages/${mailId}/html`, { host: 'rebind.attacker.example' })).status).toBe(404);
    for (const host of ['localhost:3000', '127.0.0.1', '127.1:3000', '[::1]:3000', 'idp.test:3000'])
      expect((await get('/dev/messages', { host })).status, host).toBe(200);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expect((await get('/dev/messages/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/dev/messages/not-a-uuid')).status).toBe(404);
  });
});

// The mailbox holds every reset and activation link: whoever reaches it can take over accounts.
describe('who can reach the dev mailbox', () => {
  const started: TestProvider[] = [];
  // One database for the four providers: only their settings differ.
  let shared: Awaited<ReturnType<typeof testDb>>;
  beforeAll(async () => (shared = await testDb('pglite')));
  afterAll(async () => {
    await Promise.all(started.map((p) => p.close()));
    await shared?.db.destroy();
  });

  const mailboxStatus = async (env: Record<string, string>) => {
    const idp = await startTestProvider('pglite', env, shared);
    started.push(idp);
    // Reached through the loopback interface in every case: what matters is where the provider listens.
    const port = new URL(idp.url).port;
    return (await fetch(`http://127.0.0.1:${port}/dev/messages`)).status;
  };

  it('is served when the provider listens on loopback only', async () => {
    expect(await mailboxStatus({ HOST: '127.0.0.1' })).toBe(200);
  });

  it('is not served when the provider listens on every interface, unless DEV_MAILBOX=true', async () => {
    expect(await mailboxStatus({ HOST: '0.0.0.0' })).toBe(404);
    expect(await mailboxStatus({ HOST: '0.0.0.0', DEV_MAILBOX: 'true' })).toBe(200);
    expect(await mailboxStatus({ HOST: '127.0.0.1', DEV_MAILBOX: 'false' })).toBe(404);
  });

  it('is never served in production: DEV_MAILBOX=true stops the start', () => {
    const production = {
      NODE_ENV: 'production',
      ISSUER: 'https://idp.example.be',
      TRUST_PROXY: 'true',
      COOKIE_KEYS: 'k'.repeat(32),
      TOKEN_HMAC_KEY: 't'.repeat(32),
      CAPTCHA_HMAC_KEY: 'c'.repeat(32),
      NATIONAL_NUMBER_HMAC_KEY: 'n'.repeat(32),
      HELPDESK_CONTACT: '{"phone":"+32 9 123 45 67"}',
      REGISTRATION_MODES: 'none',
    };
    expect(() => loadConfig(production)).not.toThrow();
    expect(() => loadConfig({ ...production, DEV_MAILBOX: 'true' })).toThrow(/DEV_MAILBOX=true is refused when NODE_ENV=production/);
  });
});
