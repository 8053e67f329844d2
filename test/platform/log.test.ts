// The log of a run of flows, read as an attacker with access to it would: no password, no token from a mail, no full
// e-mail address, no full IP, no account id; and each line of a request carries that request's id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { log } from '../../provider/platform/log.ts';
import { Agent } from '../flows/account/agent.ts';
import { captureOutput } from '../helpers/output.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'seven quiet lanterns over the river';
const WRONG = 'not the right password at all';

describe('the log', () => {
  let idp: TestProvider;
  let smtp: SmtpSink;
  const lines: string[] = [];
  let restore: () => void;
  let miaId: string;
  let miaSub: string;
  let resetToken: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    idp = await startTestProvider('pglite', { LOG_LEVEL: 'debug', SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100', CAPTCHA: 'off' });
    const { db, users, hasher } = idp.services;
    const mia = await users.create(db, {
      username: 'mia',
      email: 'mia.maes@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    [miaId, miaSub] = [mia.id, mia.sub];
    restore = captureOutput(lines);

    // Login failure and success, a recovery by mail, the new password, the data download.
    const agent = new Agent(idp.issuer);
    await agent.submitLogin(await agent.get('/self/login?return_to=/account'), 'mia', WRONG);
    await agent.login('mia', PASSWORD);
    await agent.get('/account/data');
    const recovery = new Agent(idp.issuer);
    await recovery.get('/recovery');
    await recovery.post('/recovery', { email: 'mia.maes@example.be' });
    const mail = await smtp.waitFor((m) => m.to.includes('mia.maes@example.be') && m.subject === 'Password reset requested');
    const link = /https?:\/\/\S+token=([\w-]+)/.exec(mail.text)!;
    resetToken = link[1]!;
    const form = await recovery.get(new URL(link[0]).pathname + new URL(link[0]).search);
    expect(form.status).toBe(200);
    await recovery.post('/recovery/reset', { token: resetToken, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
  });
  afterAll(async () => {
    restore?.();
    await idp?.close();
    await smtp?.stop();
  });

  it('was written, as JSON lines with access lines and security events', () => {
    const parsed = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.some((l) => l.msg === 'request' && l.route === '/interaction/:uid/login' && l.status === 303)).toBe(true);
    expect(parsed.some((l) => l.msg === 'security event' && l.event === 'login.failure')).toBe(true);
    expect(parsed.some((l) => l.msg === 'security event' && l.event === 'recovery.password_reset')).toBe(true);
  });

  it('says nothing that identifies the person or lets anyone in', () => {
    const text = lines.join('\n');
    for (const secret of [PASSWORD, NEW_PASSWORD, WRONG, resetToken, 'mia.maes@example.be', miaId, miaSub, '"ip":"127.0.0.1"'])
      expect(text).not.toContain(secret);
  });

  it('gives every line of a request that request’s id', () => {
    const parsed = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const failure = parsed.find((l) => l.event === 'login.failure')!;
    expect(failure.reqId).toMatch(/^[\w-]{12}$/);
    const access = parsed.find((l) => l.msg === 'request' && l.reqId === failure.reqId)!;
    expect(access.route).toBe('/interaction/:uid/login');
    expect(log.level).toBe('debug');
  });
});
