// Extra addresses and numbers a person keeps for alerts only (the crisis portal: a partner's phone, a work address),
// up to ALERT_EXTRA_CONTACTS per channel. Each is proved like the account's own (a 6-digit code sent to it, single
// use, PHONE_CODE_TTL, PHONE_CODE_ATTEMPTS tries) and each is on or off. They receive alerts and nothing else: no
// login, no recovery, no claim a relying app reads.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { localeOf, type User } from './repository.ts';
import { formatPhone, parseMobile, textable } from './phone.ts';
import { numberRefusal, smsCodeBudget, smsSender } from './phone-verification.ts';
import type { AlertChannel } from './alerts.ts';
import { enqueueSms } from '../messaging/outbox.ts';
import { enqueueNotice } from '../messaging/notice.ts';
import { createLimiter, waitIfRefused } from '../guards/rate-limit.ts';
import { createRecipientQuota } from '../guards/recipient-quota.ts';
import { audit } from '../../platform/audit.ts';
import { noticeNewContact } from './contact-notice.ts';
import { emailAddress } from '../../platform/web/email-address.ts';
import { duration, translate, type Duration } from '../../platform/web/i18n.ts';

const HOUR = 3600;

export interface AlertContact {
  id: string;
  userId: string;
  channel: AlertChannel;
  value: string;
  verified: boolean;
  enabled: boolean;
}

export type AddResult =
  /** `waiting`: the contact was there already, unconfirmed, and got a new code. */
  | { ok: true; contact: AlertContact; waiting: boolean }
  | { ok: false; problem: 'invalid' | 'not_mobile' | 'country' | 'full' | 'duplicate' }
  | { ok: false; problem: 'rate_limited' | 'number_limited'; wait: Duration };

export type ConfirmResult = { status: 'ok' } | { status: 'wrong'; triesLeft: number } | { status: 'invalid' | 'used' | 'expired' | 'voided' };

const email = emailAddress.transform((a) => a.toLowerCase());

// The purpose names the contact: a code proves this address or number, not any other the account adds.
const purposeOf = (contactId: string) => `alert_contact:${contactId}`;

interface ContactRow {
  id: string;
  value: string;
  verified_at: Date | null;
  created_at: Date | string;
}

const toContact = (r: Record<string, unknown>): AlertContact => ({
  id: r.id as string,
  userId: r.user_id as string,
  channel: r.channel as AlertChannel,
  value: r.value as string,
  verified: r.verified_at != null,
  enabled: Boolean(r.enabled),
});

export async function listAlertContacts(db: Knex, userId: string): Promise<AlertContact[]> {
  return (await db('alert_contacts').where({ user_id: userId }).orderBy('created_at')).map(toContact);
}

/** The verified contacts that are on, per account: where a notification goes besides the account's own. */
export async function alertContactsFor(db: Knex, userIds: readonly string[]): Promise<Map<string, AlertContact[]>> {
  const found = new Map<string, AlertContact[]>();
  if (userIds.length === 0) return found;
  const rows = await db('alert_contacts').whereIn('user_id', userIds).whereNotNull('verified_at').where({ enabled: true }).orderBy('created_at');
  for (const c of rows.map(toContact)) found.set(c.userId, [...(found.get(c.userId) ?? []), c]);
  return found;
}

export function createAlertContacts({
  config,
  tokens,
}: {
  config: Pick<
    Config,
    | 'alertExtraContacts'
    | 'phoneDefaultRegion'
    | 'phoneCodeTtl'
    | 'phoneCodeAttempts'
    | 'rateLimitSmsCodes'
    | 'rateLimitNumberCodes'
    | 'rateLimitAddressMails'
    | 'defaultLocale'
    | 'issuerUrl'
    | 'smsCountries'
  >;
  tokens: TokenService;
}) {
  // Counted in the caller's transaction, as the phone verification's: a code by SMS spends its hourly budget, a code by
  // mail one of the same size of its own.
  const limiter = (trx: Knex, channel: AlertChannel) =>
    channel === 'sms'
      ? smsCodeBudget(trx, config)
      : createLimiter(trx, { keyPrefix: 'alert_contact_codes', points: config.rateLimitSmsCodes, durationSeconds: HOUR });

  const contactMails = (trx: Knex) =>
    createRecipientQuota(trx, {
      name: 'alert_contact_mail',
      perRequester: { points: config.rateLimitSmsCodes, seconds: HOUR },
      perAddress: { points: config.rateLimitAddressMails, seconds: HOUR },
    });

  async function sendCode(trx: Knex, user: User, contact: AlertContact): Promise<void> {
    const issued = await tokens.issue(trx, {
      purpose: purposeOf(contact.id),
      userId: user.id,
      ttlSeconds: config.phoneCodeTtl,
      format: { kind: 'digits', length: 6 },
      maxAttempts: config.phoneCodeAttempts,
      replacePrevious: true,
    });
    const locale = localeOf(user, config.defaultLocale);
    const params = { code: issued.token, duration: duration(config.phoneCodeTtl) };
    if (contact.channel === 'sms')
      await enqueueSms(trx, {
        to: contact.value,
        text: translate(locale, 'account.alert_contact.sms', { ...params, service: smsSender(locale) }),
        userId: user.id,
      });
    else
      await enqueueNotice(trx, { id: user.id, email: contact.value }, locale, {
        title: { key: 'account.alert_contact.mail.title' },
        paragraphs: [{ key: 'account.alert_contact.mail.body', params }],
      });
  }

  /** The hourly budgets a code spends; a refusal says how long to wait. */
  async function codeRefused(trx: Knex, user: User, channel: AlertChannel, value: string): Promise<AddResult | undefined> {
    const wait = await waitIfRefused(limiter(trx, channel), user.id);
    if (wait) return { ok: false, problem: 'rate_limited', wait };
    // A code mailed to anyone's address counts with the other mails an address receives because someone asked.
    if (channel === 'email' && !(await contactMails(trx).allow({ address: value, ip: undefined, account: user.id })))
      return { ok: false, problem: 'rate_limited', wait: duration(HOUR) };
    // A code texted to anyone's number counts with the codes it receives for accounts' own numbers.
    return channel === 'sms' ? numberRefusal(trx, config, value, user.id) : undefined;
  }

  async function removeWithin(trx: Knex, userId: string, id: string): Promise<void> {
    if ((await trx('alert_contacts').where({ id, user_id: userId }).delete()) === 0) return;
    await tokens.voidAll(trx, { purpose: purposeOf(id), userId });
    await audit(trx, 'alert_contact_removed', { userId, details: { contact: id } });
  }

  return {
    /** Adds an unverified contact and sends it a code, in `trx` (the code leaves only if the transaction commits). */
    async add(trx: Knex, user: User, channel: AlertChannel, typed: string): Promise<AddResult> {
      let value: string;
      if (channel === 'sms') {
        const parsed = parseMobile(typed, config.phoneDefaultRegion);
        if (!parsed.ok) return { ok: false, problem: parsed.problem };
        if (!textable(parsed.e164, config.smsCountries)) return { ok: false, problem: 'country' };
        value = parsed.e164;
      } else {
        const parsed = email.safeParse(typed);
        if (!parsed.success) return { ok: false, problem: 'invalid' };
        value = parsed.data;
      }
      const own = channel === 'sms' ? user.phone_number : user.email?.toLowerCase();
      // Parallel adds would each count the contacts before any of them is inserted and all pass the cap: the
      // account's row, held to the end of the transaction, makes them count one after the other. Not FOR UPDATE: a
      // new mobile number asked for meanwhile holds the SMS budget and key-shares this row (its inserts refer to it),
      // and the two would deadlock.
      await trx('users').where({ id: user.id }).forNoKeyUpdate().first('id');
      const existing: ContactRow[] = await trx('alert_contacts').where({ user_id: user.id, channel }).orderBy('created_at');
      const same = existing.find((r) => r.value === value);
      if (value === own || same?.verified_at) return { ok: false, problem: 'duplicate' };
      // An unconfirmed entry whose code has run out holds no place: one forgotten, or sent to a mistyped number,
      // would otherwise keep the person from adding the right one. The oldest such entries make room.
      const expired = existing.filter((r) => r !== same && !r.verified_at && new Date(r.created_at).getTime() <= Date.now() - config.phoneCodeTtl * 1000);
      const held = existing.length - (same ? 1 : 0) - expired.length;
      if (!same && held >= config.alertExtraContacts) return { ok: false, problem: 'full' };
      const refused = await codeRefused(trx, user, channel, value);
      if (refused) return refused;
      if (same) {
        // Typed again while it waits for its code: a new code (the earlier ones stop working), and its place is
        // held for the new code's lifetime.
        const now = new Date();
        await trx('alert_contacts').where({ id: same.id }).update({ created_at: now });
        const contact = toContact({ ...same, created_at: now });
        await sendCode(trx, user, contact);
        await audit(trx, 'alert_contact_code_resent', { userId: user.id, details: { contact: contact.id, channel } });
        return { ok: true, contact, waiting: true };
      }
      const room = Math.max(0, existing.length - config.alertExtraContacts + 1);
      for (const r of expired.slice(0, room)) await removeWithin(trx, user.id, r.id);
      const row = { id: randomUUID(), user_id: user.id, channel, value, enabled: true, created_at: new Date() };
      // The same contact added twice at once: the second meets the unique key and is a duplicate.
      const inserted = await trx('alert_contacts').insert(row).onConflict(['user_id', 'channel', 'value']).ignore().returning('id');
      if (inserted.length === 0) return { ok: false, problem: 'duplicate' };
      const contact = toContact(row);
      await sendCode(trx, user, contact);
      await audit(trx, 'alert_contact_added', { userId: user.id, details: { contact: contact.id, channel } });
      return { ok: true, contact, waiting: false };
    },

    async find(db: Knex, userId: string, id: string): Promise<AlertContact | undefined> {
      const row = await db('alert_contacts').where({ id, user_id: userId }).first();
      return row && toContact(row);
    },

    async confirm(db: Knex, user: User, contact: AlertContact, typed: string): Promise<ConfirmResult> {
      const r = await tokens.redeemCode(db, { purpose: purposeOf(contact.id), userId: user.id }, typed);
      if (r.status !== 'ok') return r.status === 'wrong' ? r : { status: r.status };
      await db.transaction(async (trx) => {
        await trx('alert_contacts').where({ id: contact.id }).update({ verified_at: new Date() });
        await audit(trx, 'alert_contact_verified', { userId: user.id, details: { contact: contact.id, channel: contact.channel } });
        const shown = contact.channel === 'sms' ? formatPhone(contact.value) : contact.value;
        await noticeNewContact(trx, user, { kind: 'alert_contact', contact: shown, locale: localeOf(user, config.defaultLocale), issuerUrl: config.issuerUrl });
      });
      return { status: 'ok' };
    },

    async setEnabled(db: Knex, userId: string, id: string, enabled: boolean): Promise<void> {
      await db('alert_contacts').where({ id, user_id: userId }).update({ enabled });
    },

    async remove(db: Knex, userId: string, id: string): Promise<void> {
      await db.transaction((trx) => removeWithin(trx, userId, id));
    },
  };
}

export type AlertContacts = ReturnType<typeof createAlertContacts>;
