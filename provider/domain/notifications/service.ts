// Alerts from relying apps to people: one notification fans out to each recipient's enabled, verified channels
// through the outbox, in one transaction. Every recipient and channel gets a delivery row, also when nothing is
// sent, with the reason (no verified channel, alerts off, organisation does not notify, account not active), so
// "I got no SMS, is that normal?" has an answer the app can look up.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, type User, type UserRepository } from '../accounts/repository.ts';
import { alertContactsFor } from '../accounts/alert-contacts.ts';
import { ALERT_CHANNELS, alertSettingsOf, type AlertChannel, type AlertSettings } from '../accounts/alerts.ts';
import { getOrganisation, memberIds, type Organisation } from '../accounts/organisations.ts';
import { enqueueMail, enqueueSms, toMessage } from '../messaging/outbox.ts';
import { smsPlain } from '../messaging/sms-text.ts';
import { LOCALES, translate, type Locale } from '../../platform/web/i18n.ts';
import { AppError } from '../../platform/errors.ts';
import { isUuid } from '../../platform/db/uuid.ts';

const names = z.array(z.string().trim().min(1).max(320)).min(1).max(10_000);

const subject = z.string().trim().min(1).max(200);
const text = z.string().trim().min(1).max(2000);

export const notificationInput = z.strictObject({
  recipients: z.union([
    z.strictObject({ organisation: z.string().trim().min(1).max(200) }),
    z.strictObject({ usernames: names.optional(), subs: names.optional() }).refine((r) => r.usernames || r.subs, 'give usernames, subs or an organisation'),
  ]),
  subject,
  text,
  /** The text in other languages, or subject and text: each recipient gets their account's language, else the default. */
  texts: z
    .partialRecord(
      z.enum(LOCALES),
      z.union([text.transform((t): { subject?: string; text: string } => ({ text: t })), z.strictObject({ subject: subject.optional(), text })]),
    )
    .optional(),
  severity: z.enum(['info', 'warning', 'critical']),
});
export type NotificationInput = z.output<typeof notificationInput>;

export type DeliveryStatus = 'pending' | 'sent' | 'skipped' | 'failed';
export type SkipReason = 'organisation_does_not_notify' | 'account_inactive' | 'no_verified_channel' | 'alerts_off' | 'alerts_off_after_contact_change';

// Three concatenated SMS (153 GSM-7 characters each): an alert is read on the phone, the rest is in the mail.
const SMS_MAX = 459;

export interface NotificationDeps {
  db: Db;
  users: UserRepository;
  issuerUrl: string;
  defaultLocale: Locale;
}

async function resolveRecipients(
  db: Db,
  users: UserRepository,
  r: NotificationInput['recipients'],
): Promise<{ users: User[]; organisation: Organisation | null }> {
  if ('organisation' in r) {
    const organisation = await getOrganisation(db, r.organisation);
    const ids = await memberIds(db, organisation.id);
    return { organisation, users: await users.findByIds(db, ids) };
  }
  const usernames = (r.usernames ?? []).map((u) => u.toLowerCase());
  const subs = r.subs ?? [];
  const found = await users.findByUsernamesOrSubs(db, usernames, subs);
  const unknown = [...usernames.filter((u) => !found.some((x) => x.username?.toLowerCase() === u)), ...subs.filter((s) => !found.some((x) => x.sub === s))];
  if (unknown.length) throw new AppError('recipients_unknown', 'error.recipients_unknown', 404, { unknown: unknown.join(',') });
  return { organisation: null, users: found };
}

/** What stops every alert to the person, on any channel or contact. */
function personSkipReason(user: User, organisation: Organisation | null): SkipReason | undefined {
  if (organisation && !organisation.notify) return 'organisation_does_not_notify';
  if (user.status !== 'active') return 'account_inactive';
  return undefined;
}

function skipReason(user: User, channel: AlertChannel, settings: AlertSettings, organisation: Organisation | null): SkipReason | undefined {
  const forPerson = personSkipReason(user, organisation);
  if (forPerson) return forPerson;
  const verified = channel === 'email' ? user.email && user.email_verified : user.phone_number && user.phone_number_verified;
  if (!verified) return 'no_verified_channel';
  const s = settings[channel];
  if (!s.enabled) return s.offReason === 'contact_changed' ? 'alerts_off_after_contact_change' : 'alerts_off';
  return undefined;
}

export function smsText(locale: Locale, n: Pick<NotificationInput, 'subject' | 'text' | 'severity'>): string {
  const full = translate(locale, 'notifications.sms.text', {
    severity: translate(locale, `notifications.severity.${n.severity}`),
    subject: n.subject,
    text: n.text,
  });
  // Cut in the plain forms the outbox sends (its ellipsis is three dots): cut before, the text would grow past them.
  const plain = smsPlain(full);
  return plain.length <= SMS_MAX ? plain : `${plain.slice(0, SMS_MAX - 3)}...`;
}

export function createNotifications({ db, users: repository, issuerUrl, defaultLocale }: NotificationDeps) {
  return {
    /** Records the notification and queues its messages; returns its id. Unknown recipients: 404, nothing sent. */
    async send(client: { id: string; name: string }, input: NotificationInput): Promise<{ id: string }> {
      const { users, organisation } = await resolveRecipients(db, repository, input.recipients);
      const settings = await alertSettingsOf(
        db,
        users.map((u) => u.id),
      );
      const extras = await alertContactsFor(
        db,
        users.map((u) => u.id),
      );
      const id = randomUUID();
      const now = new Date();
      await db.transaction(async (trx) => {
        await trx('notifications').insert({
          id,
          client_id: client.id,
          organisation_id: organisation?.id ?? null,
          subject: input.subject,
          text: input.text,
          severity: input.severity,
          created_at: now,
        });
        for (const user of users) {
          const locale = localeOf(user, defaultLocale);
          const own = input.texts?.[locale];
          const words = { subject: own?.subject ?? input.subject, text: own?.text ?? input.text, severity: input.severity };
          // One delivery row per channel and contact: skipped with its reason, or pending with its outbox message.
          const deliver = async (channel: AlertChannel, to: string | null, contactId: string | null, reason: SkipReason | undefined) => {
            const delivery = { id: randomUUID(), notification_id: id, user_id: user.id, channel, contact_id: contactId, created_at: now };
            if (reason) return trx('notification_deliveries').insert({ ...delivery, status: 'skipped', reason });
            const outboxId =
              channel === 'email'
                ? await enqueueMail(trx, {
                    to: to!,
                    template: 'alert',
                    locale,
                    userId: user.id,
                    reference: delivery.id,
                    params: { ...words, sender: client.name, settingsUrl: `${issuerUrl}/account/alerts` },
                  })
                : await enqueueSms(trx, { to: to!, text: smsText(locale, words), userId: user.id, reference: delivery.id });
            return trx('notification_deliveries').insert({ ...delivery, status: 'pending', outbox_id: outboxId });
          };
          for (const channel of ALERT_CHANNELS) {
            await deliver(channel, channel === 'email' ? user.email : user.phone_number, null, skipReason(user, channel, settings.get(user.id)!, organisation));
          }
          // The person's extra contacts for alerts, verified and on: skipped only for what holds for the whole person.
          for (const contact of extras.get(user.id) ?? []) await deliver(contact.channel, contact.value, contact.id, personSkipReason(user, organisation));
        }
      });
      return { id };
    },

    /** Per recipient and channel, what became of a notification of `clientId`; undefined when it has none by that id. */
    async status(clientId: string, id: string) {
      if (!isUuid(id)) return undefined;
      const n = await db('notifications as n')
        .leftJoin('organisations as o', 'o.id', 'n.organisation_id')
        .where({ 'n.id': id, 'n.client_id': clientId })
        .first('n.*', 'o.name as organisation_name', 'o.notify as organisation_notify');
      if (!n) return undefined;
      const rows: Record<string, any>[] = await db('notification_deliveries as d')
        .leftJoin('users as u', 'u.id', 'd.user_id')
        .where('d.notification_id', id)
        .orderBy([{ column: 'u.username' }, { column: 'd.channel' }])
        .select('d.*', 'u.sub', 'u.username');
      await settle(db, rows);
      type Outcome = { status: DeliveryStatus; reason?: string };
      // The person's extra contacts are listed by channel only: the app learns what reached them, not their addresses.
      type Recipient = {
        sub: string | null;
        username: string | null;
        channels: Partial<Record<AlertChannel, Outcome>>;
        contacts?: ({ channel: AlertChannel } & Outcome)[];
      };
      const recipients = new Map<string, Recipient>();
      const summary: Record<DeliveryStatus, number> = { sent: 0, pending: 0, skipped: 0, failed: 0 };
      for (const r of rows) {
        const key = r.user_id ?? r.id;
        const rec: Recipient = recipients.get(key) ?? { sub: r.sub ?? null, username: r.username ?? null, channels: {} };
        const outcome: Outcome = { status: r.status, ...(r.reason ? { reason: r.reason } : {}) };
        if (r.contact_id) (rec.contacts ??= []).push({ channel: r.channel as AlertChannel, ...outcome });
        else rec.channels[r.channel as AlertChannel] = outcome;
        recipients.set(key, rec);
        summary[r.status as DeliveryStatus]++;
      }
      return {
        id: n.id as string,
        created_at: new Date(n.created_at).toISOString(),
        subject: n.subject as string,
        severity: n.severity as string,
        organisation: n.organisation_id
          ? { id: n.organisation_id as string, name: n.organisation_name as string, notify: Boolean(n.organisation_notify) }
          : null,
        summary,
        recipients: [...recipients.values()],
      };
    },
  };
}

/**
 * Reads the outbox's outcome of pending deliveries (outbox.reference = delivery id) and keeps a final one on the
 * delivery row, where it outlives the outbox's retention. Mutates `rows` to the current status.
 */
async function settle(db: Db, rows: Record<string, any>[]): Promise<void> {
  const pending = rows.filter((r) => r.status === 'pending');
  if (!pending.length) return;
  const messages = (
    await db('outbox').whereIn(
      'reference',
      pending.map((r) => r.id),
    )
  ).map(toMessage);
  for (const r of pending) {
    const m = messages.find((x) => x.reference === r.id);
    if (m?.status === 'sent') r.status = 'sent';
    else if (m?.status === 'failed') Object.assign(r, { status: 'failed', reason: 'delivery_failed' });
    else continue;
    await db('notification_deliveries')
      .where({ id: r.id, status: 'pending' })
      .update({ status: r.status, reason: r.reason ?? null });
  }
}

/**
 * Before the outbox is purged: the final outcome of every delivery whose message is done is kept on the delivery,
 * which settle() otherwise does only when an app reads the status (and could no longer do once the message is gone).
 */
export async function settleFinishedDeliveries(db: Db): Promise<void> {
  const rows: Record<string, any>[] = await db('notification_deliveries as d')
    .joinRaw('join outbox as o on o.reference = d.id::text')
    .where('d.status', 'pending')
    .whereIn('o.status', ['sent', 'failed'])
    .select('d.id', 'd.status');
  await settle(db, rows);
}
