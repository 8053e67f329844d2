// Rate limits that hold across every process: rate-limiter-flexible's PostgreSQL limiter on the rate_limits
// table, with its queries run through knex so that the embedded database and PostgreSQL behave the same.
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../../platform/db/knex.ts';
import { AppError, type MessageKey } from '../../platform/errors.ts';
import { duration, type Duration } from '../../platform/web/i18n.ts';

// Exported so that the package's declarations can name it in the types of what builds a limiter.
export interface PgQuery {
  text: string;
  values?: unknown[];
}

/** Runs the limiter's `$n` queries as knex bindings (`?` in order of appearance). */
class KnexRateLimiter extends RateLimiterPostgres {
  declare client: Db;

  _query(q: PgQuery): Promise<{ rows: unknown[]; rowCount: number }> {
    const bindings: unknown[] = [];
    const text = q.text.replace(/\$(\d+)/g, (_m, n: string) => {
      bindings.push(q.values?.[Number(n) - 1] ?? null);
      return '?';
    });
    return this.client.raw(text.replace(/\?\?/g, '\\?\\?'), bindings as never).then((r: any) => {
      const rows: unknown[] = r.rows ?? [];
      // PGlite reports no row count for a SELECT; the limiter reads it to tell "no entry".
      return { rows, rowCount: rows.length || (r.rowCount ?? r.affectedRows ?? 0) };
    });
  }
}

export interface LimiterOptions {
  /** Distinguishes this limiter's keys (e.g. `login_account`). */
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

export function createLimiter(db: Db, o: LimiterOptions) {
  return new KnexRateLimiter({
    storeClient: db,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: o.keyPrefix,
    points: o.points,
    duration: o.durationSeconds,
    blockDuration: o.blockSeconds ?? 0,
  });
}

export type Limiter = ReturnType<typeof createLimiter>;

/** Takes a point of `key`: the limiter's count, or undefined when `key` is over its limit (nothing else is caught). */
export const consumeWithin = (l: Limiter, key: string): Promise<RateLimiterRes | undefined> =>
  l.consume(key).catch((e: unknown) => {
    if (isRateLimited(e)) return undefined;
    throw e;
  });

/** Takes a point of `key`: undefined when it was taken, how long to wait when `key` is over its limit (nothing else is caught). */
export const waitIfRefused = (l: Limiter, key: string): Promise<Duration | undefined> =>
  l.consume(key).then(
    () => undefined,
    (e: unknown) => {
      if (isRateLimited(e)) return waitOf(e);
      throw e;
    },
  );

/**
 * Takes a point of `key`, or throws the "too many" refusal (`messageKey`, with the minutes to wait) when over the limit:
 * a person told to "wait a moment" of a limit counted by the hour would try again, and again, for nothing.
 */
export async function consumeOrRefuse(l: Limiter, key: string, messageKey: MessageKey = 'error.too_many_wait'): Promise<RateLimiterRes> {
  try {
    return await l.consume(key);
  } catch (e) {
    if (!isRateLimited(e)) throw e;
    throw new AppError('rate_limited', messageKey, 429, { wait: waitOf(e) });
  }
}

/** How long until a refused key may try again, in whole minutes (at least one): what a person is told. */
export const waitOf = (refused: { msBeforeNext: number }): Duration => duration(60 * Math.max(1, Math.ceil(refused.msBeforeNext / 60_000)));

/** True when `e` is the limiter saying "no more points" (it rejects with a RateLimiterRes). */
export const isRateLimited = (e: unknown): e is RateLimiterRes => typeof e === 'object' && e !== null && 'msBeforeNext' in e;

/**
 * Deletes the counts whose window is over (an expired count reads as none): every address, name and flow that was
 * ever counted would otherwise keep its row. Counts without an end (`expire` null) stay.
 */
export const purgeRateLimits = (db: Db, now = Date.now()): Promise<number> => db('rate_limits').where('expire', '<=', now).delete();
