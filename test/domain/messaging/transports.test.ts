// Choosing transports from the settings, and the mail templates and catalogues they send.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../provider/app/settings.ts';
import { LOCALES, catalogue } from '../../../provider/platform/web/i18n.ts';
import { renderMail } from '../../../provider/domain/messaging/mail-templates.ts';
import { messageIdFor } from '../../../provider/domain/messaging/smtp-transport.ts';
import { transportsFromConfig } from '../../../provider/domain/messaging/transports.ts';
import { silent } from './fixtures.ts';

const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

describe('transports from the settings', () => {
  it('logs mails and SMS outside production when no server is configured', () => {
    const t = transportsFromConfig(config({}), silent);
    expect([t.email.name, t.sms.name]).toEqual(['log', 'log']);
  });

  it('uses SMTP and the SMS gateway when configured', () => {
    const t = transportsFromConfig(config({ SMTP_URL: 'smtp://127.0.0.1:2525', SMS_GATEWAY_URL: 'http://127.0.0.1:9/sms' }), silent);
    expect([t.email.name, t.sms.name]).toEqual(['smtp', 'sms-gateway']);
    t.email.close?.();
  });

  it('refuses to start in production without SMTP_URL, and fails SMS for good without a gateway', async () => {
    const prod = { ...config({}), production: true };
    expect(() => transportsFromConfig(prod, silent)).toThrow(/SMTP_URL is required/);
    const t = transportsFromConfig({ ...prod, smtpUrl: 'smtp://127.0.0.1:2525' }, silent);
    await expect(t.sms.send({} as never)).rejects.toMatchObject({ permanent: true, message: 'SMS_GATEWAY_URL is not set' });
    t.email.close?.();
  });

  it('refuses a body template that does not give JSON', () => {
    const env = { SMS_GATEWAY_URL: 'http://127.0.0.1:9/sms', SMS_GATEWAY_BODY_TEMPLATE: '{"to":{{to}},"text":"{{text}}"}' };
    expect(() => transportsFromConfig(config(env), silent)).toThrow(/SMS_GATEWAY_BODY_TEMPLATE/);
  });

  it('derives the Message-ID from the outbox id and the sender domain', () => {
    expect(messageIdFor('abc', 'Identity <no-reply@idp.example.org>')).toBe('<abc@idp.example.org>');
    expect(messageIdFor('abc', 'no-reply@example.be')).toBe('<abc@example.be>');
  });
});

describe('mail templates', () => {
  const params = {
    title: { key: 'mail.test.title' },
    paragraphs: [{ key: 'login.for_client', params: { client: 'Tom & Jerry' } }],
    action: { href: 'https://x.example/a?b=1&c=2', label: { key: 'login.submit' } },
  };

  it('renders subject, plain text and HTML from one template in each language', () => {
    const subjects = LOCALES.map((l) => renderMail('notice', l, params).subject);
    expect(subjects).toEqual(['Testbericht', 'Message de test', 'Testnachricht', 'Test message']);
    const { text, html } = renderMail('notice', 'en', params);
    expect(text).toContain('to continue to Tom & Jerry');
    expect(text).toContain('Log in\nhttps://x.example/a?b=1&c=2');
    expect(text).not.toMatch(/<|&amp;|\n{3}/);
    expect(html).toContain('to continue to Tom &amp; Jerry');
    expect(html).toContain('href="https://x.example/a?b=1&amp;c=2"');
    expect(html).toContain('If the button does not work');
  });

  it('has the same keys in every language of the mail catalogue', () => {
    const keys = (l: string) => Object.keys(JSON.parse(readFileSync(`views/locales/${l}/mail.json`, 'utf8')) as object).sort();
    for (const l of LOCALES) expect(keys(l)).toEqual(keys('en'));
  });

  it('uses only catalogue keys that exist, in the mail templates', () => {
    // A key ending in "." is a prefix the template completes at run time (e.g. the severity): some key must extend it.
    const used = readdirSync('views/mail').flatMap((f) => [...readFileSync(`views/mail/${f}`, 'utf8').matchAll(/t\('([\w.]+)'/g)].map((m) => m[1]!));
    const keys = Object.keys(catalogue('en'));
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect({ key, known: key.endsWith('.') ? keys.some((k) => k.startsWith(key)) : keys.includes(key) }).toEqual({ key, known: true });
  });
});
