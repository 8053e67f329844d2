// The transactional outbox: a flow writes its mail or SMS in the same transaction as the change that causes it, so
// a rolled-back change sends nothing and a committed one is never left without its message. Mails are rendered
// here, at enqueue time, in the recipient's language; the worker (worker.ts) only delivers what is stored.
// Logout tokens for relying apps (Back-Channel Logout) travel the same way, so an app that is down gets its token
// once it is back; they are signed only when sent, since a logout token lives two minutes.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../../platform/db/knex.ts';
import type { Locale } from '../../platform/web/i18n.ts';
import { AppError } from '../../platform/errors.ts';
import { renderMail } from './mail-templates.ts';
import { smsPlain } from './sms-text.ts';
import { isUuid } from '../../platform/db/uuid.ts';

export type Channel = 'email' | 'sms' | 'logout';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxMessage {
  id: string;
  channel: Channel;
  recipient: string;
  subject: string | null;
  bodyText: string;
  bodyHtml: string | null;
  template: string | null;
  locale: string | null;
  userId: string | null;
  reference: string | null;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  transport: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A knex or a transaction: pass the transaction of the change that causes the message. */
export type Executor = Knex | Knex.Transaction;

export interface MailRequest {
  to: string;
  /** File name under views/mail/ without .njk, e.g. 'notice'. */
  template: string;
  locale: Locale;
  params?: Record<string, unknown>;
  userId?: string | null;
  reference?: string | null;
}

export interface SmsRequest {
  /** E.164, e.g. +32490123456. */
  to: string;
  text: string;
  userId?: string | null;
  reference?: string | null;
}

export interface LogoutRequest {
  clientId: string;
  sub: string;
  /** The sid of the app's ID tokens (oidc-provider gives each app of a session a sid of its own). */
  sid: string;
}

// Caught here, in the caller's transaction, rather than as ten failed delivery attempts hours later.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

interface NewMessage {
  channel: Channel;
  recipient: string;
  subject?: string;
  bodyText: string;
  bodyHtml?: string;
  template?: string;
  locale?: Locale;
  userId?: string | null | undefined;
  reference?: string | null | undefined;
}

async function insert(trx: Executor, m: NewMessage, now: Date): Promise<string> {
  const id = randomUUID();
  await trx('outbox').insert({
    id,
    channel: m.channel,
    recipient: m.recipient,
    subject: m.subject ?? null,
    body_text: m.bodyText,
    body_html: m.bodyHtml ?? null,
    template: m.template ?? null,
    locale: m.locale ?? null,
    user_id: m.userId ?? null,
    reference: m.reference ?? null,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    created_at: now,
  });
  return id;
}

/** Renders views/mail/<template>.njk and stores it for delivery; returns the outbox id (also the Message-ID's left part). */
export async function enqueueMail(trx: Executor, mail: MailRequest, now = new Date()): Promise<string> {
  if (!EMAIL.test(mail.to)) throw new AppError('mail_recipient_invalid', 'error.mail_recipient_invalid', 500, { to: JSON.stringify(mail.to) });
  const { subject, text, html } = renderMail(mail.template, mail.locale, mail.params ?? {});
  return insert(
    trx,
    {
      channel: 'email',
      recipient: mail.to,
      subject,
      bodyText: text,
      bodyHtml: html,
      template: mail.template,
      locale: mail.locale,
      userId: mail.userId,
      reference: mail.reference,
    },
    now,
  );
}

/** Stores an SMS for delivery, in the SMS alphabet's plain forms (./sms-text.ts); the caller wrote `text` in the recipient's language. */
export async function enqueueSms(trx: Executor, sms: SmsRequest, now = new Date()): Promise<string> {
  if (!E164.test(sms.to)) throw new AppError('sms_recipient_invalid', 'error.sms_recipient_invalid', 500, { to: JSON.stringify(sms.to) });
  if (!sms.text.trim()) throw new AppError('sms_text_empty', 'error.sms_text_empty', 500);
  return insert(trx, { channel: 'sms', recipient: sms.to, bodyText: smsPlain(sms.text), userId: sms.userId, reference: sms.reference }, now);
}

/**
 * Stores one logout token delivery to an app: `recipient` is its client_id, `reference` the sid. No user_id: the
 * erasure of the account, which deletes the person's messages, must not take back the logouts it causes.
 */
export async function enqueueLogout(trx: Executor, logout: LogoutRequest, now = new Date()): Promise<string> {
  return insert(
    trx,
    { channel: 'logout', recipient: logout.clientId, bodyText: JSON.stringify({ sub: logout.sub, sid: logout.sid }), reference: logout.sid },
    now,
  );
}

/**
 * Once a logout delivery is over (sent or given up), the row of an erased account keeps nothing of whom it was
 * about: its sub goes, the app and the sid stay for the trail.
 */
export async function forgetLogoutSubject(db: Executor, id: string): Promise<void> {
  await db('outbox').where({ id, channel: 'logout' }).update({ body_text: '{}' });
}

/** What a logout delivery carries, read back by the transport that signs and sends it. */
export function logoutOf(m: Pick<OutboxMessage, 'recipient' | 'bodyText'>): LogoutRequest {
  const { sub, sid } = JSON.parse(m.bodyText) as { sub: string; sid: string };
  return { clientId: m.recipient, sub, sid };
}

type Row = Record<string, unknown>;
const date = (v: unknown) => (v == null ? null : new Date(v as string | Date));

export function toMessage(r: Row): OutboxMessage {
  return {
    id: r.id as string,
    channel: r.channel as Channel,
    recipient: r.recipient as string,
    subject: r.subject as string | null,
    bodyText: r.body_text as string,
    bodyHtml: r.body_html as string | null,
    template: r.template as string | null,
    locale: r.locale as string | null,
    userId: r.user_id as string | null,
    reference: r.reference as string | null,
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: date(r.next_attempt_at) as Date,
    lockedUntil: date(r.locked_until),
    lastError: r.last_error as string | null,
    transport: r.transport as string | null,
    createdAt: date(r.created_at) as Date,
    sentAt: date(r.sent_at),
  };
}

/** The latest mails and SMS (the development mailbox): logout tokens are for apps, not people. */
export async function latestMessages(db: Db, limit: number): Promise<OutboxMessage[]> {
  return (await db('outbox').whereIn('channel', ['email', 'sms']).orderBy('created_at', 'desc').orderBy('id').limit(limit)).map(toMessage);
}

export async function findMessage(db: Db, id: string): Promise<OutboxMessage | undefined> {
  if (!isUuid(id)) return undefined;
  const row = (await db('outbox').where({ id }).first()) as Row | undefined;
  return row && toMessage(row);
}

/** Messages not yet delivered nor given up, per channel (the metrics' `belid_outbox_pending`). */
export async function pendingByChannel(db: Db): Promise<{ channel: string; count: number }[]> {
  const rows: { channel: string; n: string | number }[] = await db('outbox')
    .whereIn('status', ['pending', 'sending'])
    .groupBy('channel')
    .select('channel')
    .count({ n: '*' });
  return rows.map((r) => ({ channel: r.channel, count: Number(r.n) }));
}

/** What became of the messages a caller tagged with `reference` (e.g. "did the alert SMS go out?"). */
export async function messagesByReference(db: Db, reference: string): Promise<OutboxMessage[]> {
  return (await db('outbox').where({ reference }).orderBy('created_at')).map(toMessage);
}

/**
 * Deletes sent messages older than `retentionDays`, and failed ones as old: both hold addresses and links that
 * are no longer needed. Returns how many rows went.
 */
export async function purgeOutbox(db: Db, retentionDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  return db('outbox')
    .where((q) => q.where('status', 'sent').andWhere('sent_at', '<', before))
    .orWhere((q) => q.where('status', 'failed').andWhere('created_at', '<', before))
    .delete();
}
