// The authenticator app (TOTP, RFC 6238, 6 digits every 30 s) as a second factor, with its recovery codes.
// A code is accepted one step early or late (clock drift), and once: the step of the last accepted code is kept,
// and no code of that step or an earlier one is taken again. Wrong codes go through the same throttle as passwords
// (provider/domain/guards/throttle.ts), counted per account.
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { confirmedAppRead, createSecondFactorStore, type SecondFactorStore } from '../../domain/second-factors/store.ts';
import { audit } from '../../platform/audit.ts';
import type { Locale } from '../../platform/web/i18n.ts';
import type { SecondFactor } from './factor.ts';
import { secondFactorThrottle } from './throttle.ts';

const PERIOD_SECONDS = 30;
const TOTP_CODE = /^\d{6}$/;

export interface TotpEnrolment {
  /** Base32, for typing into the app. */
  secret: string;
  /** The otpauth:// URI as a QR code, an SVG data: URI (the CSP allows images from data: only besides our own). */
  qr: string;
}

/** Who removes the app: the person, staff from the person page, or an eID reactivation (the app may be lost). */
export type RemovedBy = 'self' | 'staff' | 'reactivation';

export type CodeCheck = { ok: true; via: 'totp' | 'recovery_code' } | { ok: false };

export type TotpConfig = Pick<
  Config,
  'issuerUrl' | 'defaultLocale' | 'secondFactorKey' | 'production' | 'rateLimitLogin' | 'rateLimitIp' | 'rateLimitMaxDelay'
>;

export function createTotpMethod(config: TotpConfig, db: Db) {
  const store: SecondFactorStore = createSecondFactorStore(config, db);
  const throttle = secondFactorThrottle(db, config);
  const issuer = new URL(config.issuerUrl).host;

  // The owner hears of every change, in case it was not them: whoever holds the password could otherwise add an
  // app unnoticed, or take theirs away. In the account's own language; for one without, the page's the person acted on.
  const tell = (trx: Db, user: User, change: 'added' | 'removed', locale: Locale | undefined) =>
    enqueueNotice(trx, user, localeOf(user, locale ?? config.defaultLocale), {
      title: { key: `second_factor.mail.${change}.title` },
      paragraphs: [{ key: `second_factor.mail.${change}.body` }, { key: 'second_factor.mail.not_you' }],
      action: { href: `${config.issuerUrl}/recovery`, label: { key: 'account.mail.password_changed.action' } },
    });

  /** The step a right code belongs to, if it is right and later than `after`. */
  async function stepOf(secret: string, code: string, after: number | null): Promise<number | undefined> {
    const r = await verify({
      secret,
      token: code,
      period: PERIOD_SECONDS,
      epochTolerance: PERIOD_SECONDS,
      ...(after === null ? {} : { afterTimeStep: after }),
    });
    return r.valid && 'timeStep' in r ? r.timeStep : undefined;
  }

  async function enrolment(user: User, secret: string): Promise<TotpEnrolment> {
    const uri = generateURI({ issuer, label: user.username ?? user.email ?? user.sub, secret, period: PERIOD_SECONDS });
    const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    return { secret, qr: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  const method = {
    kind: 'totp',
    amr: 'otp',
    isEnrolled: async (user: User) => confirmedAppRead(user) ?? store.hasTotp(db, user.id),

    recoveryCodesLeft: (user: User) => store.recoveryCodesLeft(db, user.id),

    /** A new secret awaiting its first code (replacing one that awaited); false when the app is already active. */
    start: (user: User) => store.start(db, user.id, generateSecret()),

    /**
     * Drops the secret awaiting its first code, so that no code of it activates the app later; in the caller's
     * transaction when given. False when none awaited: the app was activated meanwhile, or the enrolment ended.
     */
    cancel: (user: User, trx: Db = db) => store.cancel(trx, user.id),

    /** The secret awaiting its first code, to show; undefined when there is none. */
    async pending(user: User): Promise<TotpEnrolment | undefined> {
      const f = await store.totp(db, user.id);
      return f && !f.confirmed ? enrolment(user, f.secret) : undefined;
    },

    /** Activates the pending secret with a first code from the app; returns the recovery codes, to show once. Throttled. */
    async confirm(user: User, code: string, o: { ip?: string; locale?: Locale } = {}): Promise<string[] | undefined> {
      const { ip } = o;
      const typed = code.replace(/\s/g, '');
      const { result } = await throttle.guard(
        user,
        ip,
        async () => {
          const f = await store.totp(db, user.id);
          const step = f && !f.confirmed && TOTP_CODE.test(typed) ? await stepOf(f.secret, typed, null) : undefined;
          if (step === undefined) {
            await audit(db, 'second_factor.failure', { userId: user.id, ip, details: { kind: 'totp', step: 'enrolment' } });
            return undefined;
          }
          return db.transaction(async (trx) => {
            const codes = await store.confirm(trx, user.id, step);
            if (codes) {
              await audit(trx, 'second_factor.enrolled', { userId: user.id, ip, details: { kind: 'totp' } });
              await tell(trx, user, 'added', o.locale);
            }
            return codes;
          });
        },
        (codes) => codes !== undefined,
      );
      return result;
    },

    /**
     * Checks a code from the app, or a recovery code, at a login; each works once. Throttled like a password:
     * throws the throttle's `try_again` while another attempt of the account is being checked after its delay.
     */
    async check(user: User, code: string, ip?: string): Promise<CodeCheck> {
      const typed = code.replace(/\s/g, '');
      const { result, thresholdReached } = await throttle.guard(
        user,
        ip,
        async (): Promise<CodeCheck> => {
          if (TOTP_CODE.test(typed)) {
            const f = await store.totp(db, user.id);
            const step = f?.confirmed ? await stepOf(f.secret, typed, f.lastStep) : undefined;
            if (step !== undefined && (await store.useStep(db, user.id, step))) return { ok: true, via: 'totp' };
          } else if (typed.length <= 20 && (await store.useRecoveryCode(db, user.id, typed))) {
            return { ok: true, via: 'recovery_code' };
          }
          return { ok: false };
        },
        (r) => r.ok,
      );
      if (result.ok) await audit(db, 'second_factor.success', { userId: user.id, ip, details: { kind: 'totp', via: result.via } });
      else await audit(db, 'second_factor.failure', { userId: user.id, ip, details: { kind: 'totp', step: 'login' } });
      if (thresholdReached) await audit(db, 'second_factor.throttled', { userId: user.id, ip, details: { kind: 'totp' } });
      return result;
    },

    /** Removes the app and the recovery codes in the caller's transaction; audited when there was an active app. */
    async remove(trx: Db, user: User, by: RemovedBy, o: { ip?: string; staffId?: string; locale?: Locale } = {}): Promise<boolean> {
      const removed = await store.remove(trx, user.id);
      if (!removed) return false;
      await audit(trx, 'second_factor.removed', { userId: user.id, ip: o.ip, details: { kind: 'totp', by, ...(o.staffId ? { staffId: o.staffId } : {}) } });
      // A reactivation's own notice tells of the account taken back, which this is part of.
      if (by !== 'reactivation') await tell(trx, user, 'removed', o.locale);
      return true;
    },
  } satisfies SecondFactor & Record<string, unknown>;
  return method;
}

export type TotpMethod = ReturnType<typeof createTotpMethod>;
