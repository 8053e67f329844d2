// A person's second factors: the authenticator app (TOTP) and the recovery codes that stand in for it. The app's
// secret is sealed (AES-256-GCM, provider/domain/upstreams/secret-box.ts) with the account id as associated data,
// so a dump of the table gives no codes and a secret copied onto another row does not open; recovery codes are
// kept as an HMAC, like the one-time tokens. Both under SECOND_FACTOR_KEY, generated in development.
import { createHmac, hkdfSync } from 'node:crypto';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { AppError } from '../../platform/errors.ts';
import { generatedSecret } from '../../platform/secrets.ts';
import { generate, normaliseCode } from '../tokens/one-time.ts';
import { secretBox, type SecretBox } from '../upstreams/secret-box.ts';

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_LENGTH = 10;

export interface TotpFactor {
  /** Base32, as the app takes it. */
  secret: string;
  confirmed: boolean;
  /** The time step of the last code accepted. */
  lastStep: number | null;
}

interface Keys {
  box: SecretBox;
  recoveryKey: Buffer;
}

async function keysOf(config: Pick<Config, 'secondFactorKey' | 'production'>, db: Db): Promise<Keys> {
  let secret = config.secondFactorKey;
  if (!secret) {
    if (config.production) throw new AppError('second_factor_key_missing', 'error.second_factor_key_missing', 503);
    secret = await generatedSecret(db, 'second_factor_key');
  }
  return {
    box: secretBox(secret, { info: 'totp secret', code: 'second_factor_secret', messageKey: 'second_factor.error.secret' }),
    recoveryKey: Buffer.from(hkdfSync('sha256', secret, 'belid', 'recovery codes', 32)),
  };
}

/** XXXXX-XXXXX: ten Crockford base32 characters, 50 bits, read aloud or typed without look-alikes. */
const newRecoveryCode = () => generate({ kind: 'code', length: RECOVERY_CODE_LENGTH }).replace(/^(.{5})/, '$1-');

async function recoveryCodesLeft(db: Db, userId: string): Promise<number> {
  const row = await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ n: string | number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** What a person's data export says of their second factors: when the app was added, never its secret nor a code. */
export async function secondFactorsOf(db: Db, userId: string): Promise<{ appAddedAt: Date | null; recoveryCodesLeft: number }> {
  const app = await db('totp_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('confirmed_at');
  return { appAddedAt: app ? (app.confirmed_at as Date) : null, recoveryCodesLeft: await recoveryCodesLeft(db, userId) };
}

const APP_COLUMN = 'second_factor_app_confirmed';
/** Whether an account has a confirmed authenticator app, as a column of its row in users (`users.id`). */
export const confirmedAppColumn = (db: Db) =>
  db.raw(`exists (select 1 from totp_factors f where f.user_id = users.id and f.confirmed_at is not null) as ${APP_COLUMN}`);

// What the column said, by the account object it was read with: a login's second step asks it of that same object,
// a few milliseconds later, instead of asking the database again.
const readWithAccount = new WeakMap<object, boolean>();

/** The account without the column, its answer kept for `confirmedAppRead`. */
export function takeConfirmedApp<T extends object>(row: T): T {
  const { [APP_COLUMN]: confirmed, ...account } = row as T & Record<string, unknown>;
  if (confirmed !== undefined) readWithAccount.set(account, Boolean(confirmed));
  return account as T;
}

/** Whether `account` was read with a confirmed app (`confirmedAppColumn`); undefined when it was read without. */
export const confirmedAppRead = (account: object): boolean | undefined => readWithAccount.get(account);

export function createSecondFactorStore(config: Pick<Config, 'secondFactorKey' | 'production'>, db: Db) {
  let keys: Promise<Keys> | undefined;
  const k = () => (keys ??= keysOf(config, db));
  const recoveryHash = async (userId: string, code: string) =>
    createHmac('sha256', (await k()).recoveryKey)
      .update(`${userId}\0${normaliseCode(code)}`)
      .digest('base64url');

  return {
    async totp(trx: Db, userId: string): Promise<TotpFactor | undefined> {
      const row = await trx('totp_factors').where({ user_id: userId }).first();
      if (!row) return undefined;
      return {
        secret: (await k()).box.open(row.secret, userId),
        confirmed: row.confirmed_at !== null,
        lastStep: row.last_step === null ? null : Number(row.last_step),
      };
    },

    async hasTotp(trx: Db, userId: string): Promise<boolean> {
      return Boolean(await trx('totp_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('user_id'));
    },

    /** Keeps a new secret awaiting its first code; false when an active one is there (it must be removed first). */
    async start(trx: Db, userId: string, secret: string): Promise<boolean> {
      const sealed = (await k()).box.seal(secret, userId);
      const n = await trx('totp_factors')
        .insert({ user_id: userId, secret: sealed, confirmed_at: null, last_step: null, created_at: new Date() })
        .onConflict('user_id')
        .merge()
        .where('totp_factors.confirmed_at', null)
        .returning('user_id');
      return n.length === 1;
    },

    /** Activates the pending secret with the step of its first code, and replaces the recovery codes; returns them, in clear, this once. */
    async confirm(trx: Db, userId: string, step: number): Promise<string[] | undefined> {
      const n = await trx('totp_factors').where({ user_id: userId }).whereNull('confirmed_at').update({ confirmed_at: new Date(), last_step: step });
      if (n !== 1) return undefined;
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      await trx('recovery_codes').where({ user_id: userId }).delete();
      await trx('recovery_codes').insert(await Promise.all(codes.map(async (c) => ({ user_id: userId, code_hash: await recoveryHash(userId, c) }))));
      return codes;
    },

    /** Records a code's time step as used; false when that step or a later one was used already (a replay, or a race). */
    async useStep(trx: Db, userId: string, step: number): Promise<boolean> {
      const n = await trx('totp_factors')
        .where({ user_id: userId })
        .whereNotNull('confirmed_at')
        .andWhere((q) => q.whereNull('last_step').orWhere('last_step', '<', step))
        .update({ last_step: step });
      return n === 1;
    },

    /** Spends a recovery code; false when it is none of the person's or was spent. */
    async useRecoveryCode(trx: Db, userId: string, code: string): Promise<boolean> {
      const n = await trx('recovery_codes')
        .where({ user_id: userId, code_hash: await recoveryHash(userId, code) })
        .whereNull('used_at')
        .update({ used_at: new Date() });
      return n === 1;
    },

    recoveryCodesLeft,

    /** Drops a secret that awaits its first code (an enrolment given up); an active app stays. False when none awaited. */
    async cancel(trx: Db, userId: string): Promise<boolean> {
      return (await trx('totp_factors').where({ user_id: userId }).whereNull('confirmed_at').delete()) > 0;
    },

    /** Removes the app and the recovery codes; true when there was an active app. */
    async remove(trx: Db, userId: string): Promise<boolean> {
      const active = await trx('totp_factors').where({ user_id: userId }).whereNotNull('confirmed_at').delete();
      await trx('totp_factors').where({ user_id: userId }).delete();
      await trx('recovery_codes').where({ user_id: userId }).delete();
      return active === 1;
    },
  };
}

export type SecondFactorStore = ReturnType<typeof createSecondFactorStore>;
