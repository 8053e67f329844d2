// The outbox end to end on both databases: enqueue in the caller's transaction, deliver through a real SMTP server
// and a real HTTP SMS gateway, retry with back-off, give up after the maximum, take over an abandoned lease, purge.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { ACTIVATION_LINK, notice, silent } from './fixtures.ts';
import { createDb, type Db } from '../../../provider/platform/db/knex.ts';
import { enqueueMail, enqueueSms, messagesByReference, purgeOutbox } from '../../../provider/domain/messaging/outbox.ts';
import { createOutboxWorker, type OutboxWorkerOptions } from '../../../provider/domain/messaging/worker.ts';
import { createSmtpTransport } from '../../../provider/domain/messaging/smtp-transport.ts';
import { createSmsGatewayTransport } from '../../../provider/domain/messaging/sms-gateway-transport.ts';
import { createLogTransport } from '../../../provider/domain/messaging/transports.ts';
import type { Logger, Transports } from '../../../provider/domain/messaging/transport.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];
const FROM = 'Identity <no-reply@idp.example.org>';
const BASE_MS = 1000;

describe.each(kinds)('outbox on %s', (kind) => {
  let db: Db;
  let smtp: SmtpSink;
  let gateway: HttpSink;
  let transports: Transports;
  let clock = new Date('2026-11-22T10:00:00Z').getTime();
  const now = () => new Date(clock);
  const worker = (extra: Partial<OutboxWorkerOptions> = {}) =>
    createOutboxWorker({ db, transports, now, pollMs: 50, maxAttempts: 4, backoff: { baseMs: BASE_MS, maxMs: 4 * BASE_MS }, log: silent, ...extra });
  const rows = () => db('outbox').orderBy('created_at').orderBy('recipient');

  beforeAll(async () => {
    ({ db } = await testDb(kind));
    [smtp, gateway] = await Promise.all([startSmtpSink(), startHttpSink()]);
    transports = {
      email: createSmtpTransport({ url: smtp.url, from: FROM }),
      sms: createSmsGatewayTransport({
        url: `${gateway.url}/v1/sms`,
        method: 'POST',
        authHeader: 'Bearer gateway-secret',
        bodyTemplate: '{"recipient":"{{to}}","message":"{{ text }}","sender":"IDP"}',
        contentType: 'application/json',
        timeoutMs: 300,
      }),
    };
  });
  afterEach(async () => {
    await db('outbox').delete();
    smtp.clear();
    gateway.clear();
  });
  afterAll(async () => {
    transports.email.close?.();
    await Promise.all([smtp.stop(), gateway.stop()]);
    await db.destroy();
  });

  it('sends nothing when the transaction that enqueued the mail rolls back', async () => {
    await expect(
      db.transaction(async (trx) => {
        await enqueueMail(trx, notice('ann@example.org'), now());
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await worker().drain()).toBe(0);
    expect(await rows()).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('delivers a committed mail once, multipart, in the recipient language, with a stable Message-ID', async () => {
    const userId = randomUUID();
    const id = await db.transaction(async (trx) => {
      await trx('users').insert({ id: userId, sub: randomUUID(), username: 'jan', email: 'jan@example.org' });
      return enqueueMail(trx, notice('jan@example.org', { locale: 'nl', userId, reference: 'activation-1' }), now());
    });
    expect(await worker().drain()).toBe(1);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['jan@example.org']);
    expect(mail.from).toMatch(/^"?Identity"? <no-reply@idp\.example\.org>$/);
    expect(mail.envelopeFrom).toBe('no-reply@idp.example.org');
    expect(mail.subject).toBe('Testbericht');
    expect(mail.messageId).toBe(`<${id}@idp.example.org>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain('e-mail van de identiteitsdienst');
    expect(mail.text).toContain(ACTIVATION_LINK);
    expect(mail.html).toContain('<a href="https://idp.example.org/activate?token=abc&amp;x=1"');
    expect(mail.html).toContain('lang="nl"');
    expect(mail.raw).toMatch(/multipart\/alternative/);

    const [row] = await messagesByReference(db, 'activation-1');
    expect(row).toMatchObject({ id, status: 'sent', attempts: 1, transport: 'smtp', userId, locale: 'nl', lastError: null });
    expect(row?.sentAt?.getTime()).toBe(clock);
    expect(await worker().drain()).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });

  it('retries with exponential back-off while the mail server is unavailable, then delivers every mail exactly once', async () => {
    const addresses = ['a@example.org', 'b@example.org', 'c@example.org'];
    for (const to of addresses) await enqueueMail(db, notice(to), now());
    const w = worker();

    smtp.refuse(421);
    expect(await w.runOnce()).toBe(3);
    let stored = await rows();
    expect(stored.map((r) => [r.status, r.attempts])).toEqual(addresses.map(() => ['pending', 1]));
    expect(stored[0].last_error).toMatch(/^SMTP: .*421/);
    expect(new Date(stored[0].next_attempt_at).getTime()).toBe(clock + BASE_MS);

    expect(await w.runOnce()).toBe(0); // not due yet
    clock += BASE_MS - 1;
    expect(await w.runOnce()).toBe(0);

    smtp.refuse(null);
    await smtp.down();
    clock += 1;
    expect(await w.runOnce()).toBe(3);
    stored = await rows();
    expect(stored.map((r) => r.attempts)).toEqual([2, 2, 2]);
    expect(new Date(stored[0].next_attempt_at).getTime()).toBe(clock + 2 * BASE_MS); // doubled

    await smtp.up();
    clock += 2 * BASE_MS;
    expect(await w.drain()).toBe(3);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(addresses);
    expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(3);
    expect((await rows()).map((r) => [r.status, r.attempts, r.last_error])).toEqual(addresses.map(() => ['sent', 3, null]));
  });

  it('marks a message failed after the maximum number of attempts, and never tries it again', async () => {
    await smtp.down();
    try {
      await enqueueMail(db, notice('gone@example.org'), now());
      const w = worker({ maxAttempts: 3 });
      for (let i = 0; i < 3; i++) {
        expect(await w.runOnce()).toBe(1);
        clock += 10 * BASE_MS;
      }
      const [row] = await rows();
      expect(row).toMatchObject({ status: 'failed', attempts: 3 });
      expect(row.last_error).toMatch(/ECONNREFUSED|connect/i);
      await smtp.up();
      clock += 3_600_000;
      expect(await w.drain()).toBe(0);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await smtp.up();
    }
  });

  it('gives up at once when the mail server refuses the recipient for good', async () => {
    smtp.rejectRecipient('nobody@example.org');
    await enqueueMail(db, notice('nobody@example.org'), now());
    expect(await worker().runOnce()).toBe(1);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.last_error).toMatch(/550/);
  });

  it('sends an SMS through the gateway with the body template, JSON-escaped, and the auth header', async () => {
    const text = 'Code 48213 for "Identity".\nValid 10 min.';
    await enqueueSms(db, { to: '+32490123456', text, reference: 'alert-7' }, now());
    expect(await worker().drain()).toBe(1);
    expect(gateway.requests).toHaveLength(1);
    const req = gateway.requests[0]!;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/sms', status: 200 });
    expect(req.headers.authorization).toBe('Bearer gateway-secret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({ recipient: '+32490123456', message: text, sender: 'IDP' });
    expect((await messagesByReference(db, 'alert-7'))[0]).toMatchObject({ status: 'sent', transport: 'sms-gateway' });
  });

  // A character outside the SMS alphabet (GSM 03.38) sends the whole text as UCS-2, 70 characters a part: French's
  // no-break spaces and apostrophe would make a 150-character code three paid parts instead of one.
  it('sends typographic spaces, apostrophes, quotes and dashes as their plain forms, so that a text stays in the SMS alphabet', async () => {
    const text = 'Identité\u00a0: 123456 est votre code pour réactiver l\u2019accès\u202f; \u201cvalable\u201d 10\u00a0minutes \u2013 à 23\u00a0h\u2026';
    await enqueueSms(db, { to: '+32490123456', text, reference: 'plain-1' }, now());
    expect(await worker().drain()).toBe(1);
    expect(gateway.requests[0]!.json).toMatchObject({ message: 'Identité : 123456 est votre code pour réactiver l\'accès ; "valable" 10 minutes - à 23 h...' });
  });

  it('retries an SMS after a 503 or a timeout and delivers it once', async () => {
    await enqueueSms(db, { to: '+32490123456', text: 'Your code: 123456' }, now());
    const w = worker();
    gateway.failNext(1, 503);
    expect(await w.runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/^SMS gateway answered 503/) });

    gateway.delay(1000);
    clock += BASE_MS;
    expect(await w.runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'pending', attempts: 2, last_error: expect.stringMatching(/unreachable/) });

    gateway.delay(0);
    clock += 2 * BASE_MS;
    expect(await w.drain()).toBe(1);
    expect(gateway.requests.map((r) => r.status)).toEqual([503, 200, 200]);
    expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('takes over a message whose worker died holding the lease, once the lease has run out', async () => {
    const id = await enqueueMail(db, notice('late@example.org'), now());
    await db('outbox')
      .where({ id })
      .update({ status: 'sending', attempts: 1, locked_until: new Date(clock + 60_000) });
    expect(await worker().runOnce()).toBe(0);
    clock += 60_001;
    expect(await worker().runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.messages[0]?.messageId).toBe(`<${id}@idp.example.org>`);
  });

  it('marks failed, without sending it again, a message whose worker died holding the lease of its last attempt', async () => {
    const id = await enqueueMail(db, notice('crashing@example.org'), now());
    await db('outbox')
      .where({ id })
      .update({ status: 'sending', attempts: 4, locked_until: new Date(clock - 1) });
    expect(await worker().runOnce()).toBe(0);
    expect((await rows())[0]).toMatchObject({ status: 'failed', attempts: 4, last_error: expect.stringContaining('no outcome after 4 attempts') });
    expect(smtp.messages).toHaveLength(0);
  });

  it('keeps what the worker that took over recorded when the first one finishes late', async () => {
    const id = await enqueueMail(db, notice('slow@example.org'), now());
    let release: () => void = () => {};
    const slow: Transports = {
      ...transports,
      email: { name: 'slow', send: () => new Promise((_, reject) => (release = () => reject(new Error('connection reset')))) },
    };
    const first = worker({ transports: slow, leaseMs: 1000 }).runOnce();
    await new Promise((r) => setTimeout(r, 200));
    clock += 1001;
    expect(await worker().runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 2 });
    // The first worker's send fails after all: the row stays sent, and nothing is sent a third time.
    release();
    await first;
    expect((await rows())[0]).toMatchObject({ id, status: 'sent', last_error: null });
    clock += 3_600_000;
    expect(await worker().drain()).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });

  it('prints messages to the log and marks them sent with the log transport', async () => {
    const lines: { msg: string; fields: unknown }[] = [];
    const logger: Logger = { ...silent, info: (msg, fields) => void lines.push({ msg, fields }) };
    await enqueueMail(db, notice('dev@example.org'), now());
    await enqueueSms(db, { to: '+32470000000', text: 'Code 999999' }, now());
    const log = createLogTransport(logger);
    expect(await worker({ transports: { email: log, sms: log } }).drain()).toBe(2);
    expect(lines.map((l) => l.fields)).toEqual(
      expect.arrayContaining([
        { channel: 'email', to: 'dev@example.org', subject: 'Test message', links: [ACTIVATION_LINK] },
        { channel: 'sms', to: '+32470000000', text: 'Code 999999' },
      ]),
    );
    expect((await rows()).map((r) => [r.status, r.transport])).toEqual([
      ['sent', 'log'],
      ['sent', 'log'],
    ]);
    expect(smtp.messages).toHaveLength(0);
  });

  it('refuses a malformed recipient inside the caller transaction', async () => {
    await expect(enqueueMail(db, notice('not an address'))).rejects.toMatchObject({ code: 'mail_recipient_invalid' });
    await expect(enqueueSms(db, { to: '0490123456', text: 'x' })).rejects.toMatchObject({ code: 'sms_recipient_invalid' });
    expect(await rows()).toHaveLength(0);
  });

  it('purges sent and failed messages past the retention, keeping recent and pending ones', async () => {
    const day = 86_400_000;
    const old = new Date(clock - 31 * day);
    const recent = new Date(clock - day);
    const [sentOld, sentRecent, failedOld, pendingOld] = await Promise.all(['a', 'b', 'c', 'd'].map((x) => enqueueMail(db, notice(`${x}@example.org`), old)));
    await db('outbox').where({ id: sentOld }).update({ status: 'sent', sent_at: old });
    await db('outbox').where({ id: sentRecent }).update({ status: 'sent', sent_at: recent });
    await db('outbox').where({ id: failedOld }).update({ status: 'failed' });
    expect(await purgeOutbox(db, 30, now())).toBe(2);
    expect((await rows()).map((r) => r.id).sort()).toEqual([sentRecent, pendingOld].sort());
  });

  it('polls in the background after start() and stops cleanly', async () => {
    const w = createOutboxWorker({ db, transports, pollMs: 20, maxAttempts: 3, backoff: { baseMs: BASE_MS, maxMs: BASE_MS }, log: silent });
    w.start();
    try {
      await enqueueMail(db, notice('bg@example.org'));
      expect((await smtp.waitFor((m) => m.to.includes('bg@example.org'))).subject).toBe('Test message');
    } finally {
      await w.stop();
    }
  });
});

describe.skipIf(!has('postgres'))('outbox workers in parallel on PostgreSQL', () => {
  let smtp: SmtpSink;
  let dbs: Db[] = [];

  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await smtp.stop();
    await Promise.all(dbs.map((d) => d.destroy()));
  });

  it('delivers each of 50 messages exactly once when two workers drain them at the same time', async () => {
    const { db, databaseUrl } = await testDb('postgres');
    const other = createDb({ databaseUrl, dataDir: 'memory://' });
    dbs = [db, other];
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await enqueueMail(db, notice(`user${i}@example.org`)));

    const transport = createSmtpTransport({ url: smtp.url, from: FROM });
    const make = (d: Db) =>
      createOutboxWorker({
        db: d,
        transports: { email: transport, sms: transport },
        pollMs: 10,
        maxAttempts: 3,
        backoff: { baseMs: BASE_MS, maxMs: BASE_MS },
        batchSize: 5,
        log: silent,
      });
    const claimed = await Promise.all([make(db).drain(), make(other).drain()]);
    transport.close?.();

    expect(claimed[0] + claimed[1]).toBe(50);
    expect(smtp.messages).toHaveLength(50);
    expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(50);
    expect(new Set(smtp.messages.map((m) => /<([^@]+)@/.exec(m.messageId)?.[1]))).toEqual(ids);
    const stored = await db('outbox').select('status', 'attempts');
    expect(stored.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });
});
