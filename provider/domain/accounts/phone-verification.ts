// A new mobile number becomes the account's number only once the code texted to it is typed back: until then the
// verified number (if any) stays in force, in the users table and in the ID token. Used by the account pages and
// by any flow that collects a number (e.g. reactivation):
//
//   const phone = createPhoneVerification(services);   // { config, tokens, users }
//   const started = await db.transaction((trx) => phone.startPhoneVerification(trx, user, '0490 12 34 56'));
//   const done = await phone.confirmPhoneVerification(db, user, '123456');
//
// The code is 6 digits, single use, valid PHONE_CODE_TTL seconds and voided after PHONE_CODE_ATTEMPTS wrong tries;
// a new request voids the previous code. Verification SMS are limited per account (RATE_LIMIT_SMS_CODES per hour) and
// per number (RATE_LIMIT_NUMBER_CODES per hour, whoever asks).
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, type User, type UserRepository } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { formatPhone, parseMobile, textable, type PhoneParse } from './phone.ts';
import { keepOffForFirstContact, turnOffAfterContactChange } from './alerts.ts';
import { clearPendingContact, setPendingContact } from './pending-contacts.ts';
import { enqueueSms } from '../messaging/outbox.ts';
import { currentTheme } from '../../platform/web/theme.ts';
import { translate, duration, type Duration, type Locale, type MessageParams } from '../../platform/web/i18n.ts';
import { createLimiter, waitIfRefused } from '../guards/rate-limit.ts';
import { createRecipientQuota } from '../guards/recipient-quota.ts';
import { audit } from '../../platform/audit.ts';
import { noticeNewContact } from './contact-notice.ts';

export const PHONE_PURPOSE = 'phone_verification';

export interface PhoneVerificationDeps {
  config: Pick<
    Config,
    'phoneDefaultRegion' | 'phoneCodeTtl' | 'phoneCodeAttempts' | 'rateLimitSmsCodes' | 'rateLimitNumberCodes' | 'defaultLocale' | 'issuerUrl' | 'smsCountries'
  >;
  tokens: TokenService;
  users: UserRepository;
}

type Refusal = Extract<PhoneParse, { ok: false }>;

export type StartResult =
  | { ok: true; number: string; expiresAt: Date }
  | Refusal
  | { ok: false; problem: 'unchanged' | 'country' }
  | { ok: false; problem: 'rate_limited' | 'number_limited'; wait: Duration };

/** A refused start as the page names it: the catalogue message, with the example number or the wait. */
export function startRefusalMessage(r: Exclude<StartResult, { ok: true }>): { key: string; params?: MessageParams } {
  if (r.problem === 'invalid' || r.problem === 'not_mobile')
    return { key: `account.phone.error.${r.problem}`, params: { national: r.example.national, international: r.example.international } };
  if (r.problem === 'rate_limited' || r.problem === 'number_limited') return { key: `account.phone.error.${r.problem}`, params: { wait: r.wait } };
  return { key: `account.phone.error.${r.problem}` };
}

/** Whether a number verified now is the account's first: it has none in force (never had one, or since its removal). */
export const firstNumber = (user: Pick<User, 'phone_number' | 'phone_number_verified'>): boolean => !user.phone_number || !user.phone_number_verified;

export type ConfirmResult = { status: 'ok'; number: string } | { status: 'wrong'; triesLeft: number } | { status: 'invalid' | 'used' | 'expired' | 'voided' };

/**
 * The SMS codes an account may have sent in an hour (RATE_LIMIT_SMS_CODES), to its own new number and to the numbers
 * it adds for alerts together: each is a text the operator pays for.
 */
export const smsCodeBudget = (trx: Knex, config: Pick<Config, 'rateLimitSmsCodes'>) =>
  createLimiter(trx, { keyPrefix: 'sms_codes', points: config.rateLimitSmsCodes, durationSeconds: 3600 });

/**
 * The SMS codes a number receives in an hour, whoever asks (RATE_LIMIT_NUMBER_CODES), counted per asking account:
 * the account budget alone let many accounts each text their budget to one person's phone.
 */
const smsCodeQuota = (trx: Knex, config: Pick<Config, 'rateLimitSmsCodes' | 'rateLimitNumberCodes'>) =>
  createRecipientQuota(trx, {
    name: 'sms_code',
    perRequester: { points: config.rateLimitSmsCodes, seconds: 3600 },
    perAddress: { points: config.rateLimitNumberCodes, seconds: 3600 },
  });

/** Counts a code `accountId` asks to text to `number` (E.164); the refusal when the number has had its codes. */
export async function numberRefusal(
  trx: Knex,
  config: Pick<Config, 'rateLimitSmsCodes' | 'rateLimitNumberCodes'>,
  number: string,
  accountId: string,
): Promise<{ ok: false; problem: 'number_limited'; wait: Duration } | undefined> {
  if (await smsCodeQuota(trx, config).allow({ address: number, ip: undefined, account: accountId })) return undefined;
  return { ok: false, problem: 'number_limited', wait: duration(3600) };
}

/** Who a code SMS comes from, as the pages name it: the theme's organisation, else the product. */
export const smsSender = (locale: Locale): string => currentTheme()?.organisation ?? translate(locale, 'app.name');

export function createPhoneVerification({ config, tokens, users }: PhoneVerificationDeps) {
  // Counted in the caller's transaction: on the embedded database a second connection would wait for this one.
  const limiter = (trx: Knex) => smsCodeBudget(trx, config);

  return {
    /**
     * Normalises `typed` to E.164 and texts a code to it, in `trx` (the SMS leaves only if the transaction commits).
     * A refusal says why: an impossible or non-mobile number (with an example of the expected form), the number
     * already verified, or too many SMS asked for.
     */
    async startPhoneVerification(
      trx: Knex,
      user: User,
      typed: string,
      locale?: Locale,
      o: { again?: boolean; anyCountry?: boolean; text?: 'reactivation.sms.code' } = {},
    ): Promise<StartResult> {
      const parsed = parseMobile(typed, config.phoneDefaultRegion);
      if (!parsed.ok) return parsed;
      // `anyCountry`: staff, or a reactivation after its proof of identity; a person on her own pages, SMS_COUNTRIES.
      if (!o.anyCountry && !textable(parsed.e164, config.smsCountries)) return { ok: false, problem: 'country' };
      // `again`: the account's own number proved anew, by whoever must show they hold the phone (reactivation).
      if (parsed.e164 === user.phone_number && user.phone_number_verified && !o.again) return { ok: false, problem: 'unchanged' };
      const wait = await waitIfRefused(limiter(trx), user.id);
      if (wait) return { ok: false, problem: 'rate_limited', wait };
      // A reactivation texts the number its eID-checked token names, once per reactivation, and a refusal there would
      // come after that token is spent.
      const refused = o.again ? undefined : await numberRefusal(trx, config, parsed.e164, user.id);
      if (refused) return refused;
      const issued = await tokens.issue(trx, {
        purpose: PHONE_PURPOSE,
        userId: user.id,
        ttlSeconds: config.phoneCodeTtl,
        format: { kind: 'digits', length: 6 },
        maxAttempts: config.phoneCodeAttempts,
        data: { number: parsed.e164 },
        replacePrevious: true,
      });
      await setPendingContact(trx, user.id, 'sms', parsed.e164, issued.expiresAt);
      const textLocale = locale ?? localeOf(user, config.defaultLocale);
      // The holder reads what the code is for: someone who asks for "the code we just sent" is after the account.
      const text = translate(textLocale, o.text ?? 'account.sms.code', {
        code: issued.token,
        duration: duration(config.phoneCodeTtl),
        service: smsSender(textLocale),
      });
      await enqueueSms(trx, { to: parsed.e164, text, userId: user.id });
      await audit(trx, 'phone_verification_sent', { userId: user.id, details: { number: parsed.e164 } });
      return { ok: true, number: parsed.e164, expiresAt: issued.expiresAt };
    },

    /** Whether the account may be sent a verification SMS now (read only: the send itself counts). */
    async canText(db: Db, user: User): Promise<boolean> {
      const used = await limiter(db).get(user.id);
      return !used || used.remainingPoints > 0;
    },

    /**
     * Checks the typed code; when right, the number becomes the account's verified number, SMS alerts go off (noted
     * as a change only when it replaced a verified number), and a new number is told to the account's address (`tellOwner: false` where the caller's own mails tell it).
     */
    async confirmPhoneVerification(db: Db, user: User, code: string, { tellOwner = true } = {}): Promise<ConfirmResult> {
      const r = await tokens.redeemCode(db, { purpose: PHONE_PURPOSE, userId: user.id }, code);
      if (r.status === 'wrong') return r;
      if (r.status !== 'ok') {
        if (r.status === 'voided') await clearPendingContact(db, user.id, 'sms');
        return { status: r.status };
      }
      const number = String(r.token.data.number);
      await db.transaction(async (trx) => {
        await users.setVerifiedPhone(trx, user.id, number);
        // The same number proved again changes no contact: the alerts sent to it stay on. A first number (none was
        // verified) changes none either: no "off since you changed your number", and the mail says it was added.
        if (number !== user.phone_number || !user.phone_number_verified) {
          const first = firstNumber(user);
          await (first ? keepOffForFirstContact : turnOffAfterContactChange)(trx, user.id, 'sms');
          if (tellOwner) {
            const locale = localeOf(user, config.defaultLocale);
            const kind = first ? 'first_phone' : 'phone';
            await noticeNewContact(trx, user, { kind, contact: formatPhone(number), locale, issuerUrl: config.issuerUrl });
          }
        }
        await clearPendingContact(trx, user.id, 'sms');
        await audit(trx, 'phone_verified', { userId: user.id, details: { number, previous: user.phone_number } });
      });
      return { status: 'ok', number };
    },

    /**
     * Takes the account's number away, in `trx`, with any change still waiting for its code: the SMS alerts sent to
     * it go off, as after a change. False when the account had neither, as the database has it now (`user` may have
     * been read before another removal committed).
     */
    async removePhone(trx: Knex, user: User): Promise<boolean> {
      const voided = await tokens.voidAll(trx, { purpose: PHONE_PURPOSE, userId: user.id });
      await clearPendingContact(trx, user.id, 'sms');
      if (!(await users.removePhone(trx, user.id))) return voided > 0;
      await turnOffAfterContactChange(trx, user.id, 'sms');
      return true;
    },
  };
}

export type PhoneVerification = ReturnType<typeof createPhoneVerification>;
