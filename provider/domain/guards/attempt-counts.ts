// The throttle's counts and holds (./throttle.ts) as rows of rate_limits, keyed and expiring as
// rate-limiter-flexible's rows there are: each attempt counted and, where it owes a delay, held in one statement.
import { rowsOf, type Db } from '../../platform/db/knex.ts';
import type { LaterWrite } from '../../platform/db/later.ts';

/** One count an attempt adds to: its row, the row that holds it while a delayed attempt is checked, and from which count it owes a delay. */
export interface Counter {
  key: string;
  holdKey: string;
  /** A count above this owes a delay (Infinity: none ever does). */
  owesAbove: number;
}

/** The end of a hold's insert: taken (anew) unless a live one is, and `returning 1` says whether it was. Binds now. */
const UNLESS_LIVE = 'on conflict (key) do update set points = 1, expire = excluded.expire where rate_limits.expire <= ? returning 1';

/**
 * Adds the attempt to each counter (a counter past its window starts again at 1) and, where the attempts before it
 * owe a delay, takes the counter's hold unless a live one is taken. The counter's row stays locked until the
 * statement ends, so parallel attempts each get their own count and see the holds of those before them.
 * Returns each counter's count and whether its hold was taken.
 */
export async function countAttempt(db: Db, counters: Counter[], windowMs: number, holdMs: number): Promise<{ count: number; held: boolean }[]> {
  if (!counters.length) return [];
  const now = Date.now();
  const ctes: string[] = [];
  const bindings: unknown[] = [];
  counters.forEach((c, i) => {
    ctes.push(
      `c${i} as (insert into rate_limits (key, points, expire) values (?, 1, ?) on conflict (key) do update set ` +
        'points = case when rate_limits.expire <= ? then 1 else rate_limits.points + 1 end, ' +
        'expire = case when rate_limits.expire <= ? then excluded.expire else rate_limits.expire end returning points)',
      `h${i} as (insert into rate_limits (key, points, expire) select ?, 1, ? from c${i} where c${i}.points > ? ${UNLESS_LIVE})`,
    );
    bindings.push(c.key, now + windowMs, now, now, c.holdKey, now + holdMs, Math.min(c.owesAbove, 2 ** 31 - 1), now);
  });
  const columns = counters.map((_, i) => `(select points from c${i}) as c${i}, (select count(*) from h${i}) as h${i}`);
  const [row] = await rowsOf<Record<string, string | number>>(db, `with ${ctes.join(', ')} select ${columns.join(', ')}`, bindings);
  return counters.map((_, i) => ({ count: Number(row![`c${i}`]), held: Number(row![`h${i}`]) > 0 }));
}

/** Takes a hold that is not live (one statement, as countAttempt takes its holds); false when another attempt has it. */
export async function takeHold(db: Db, holdKey: string, holdMs: number): Promise<boolean> {
  const now = Date.now();
  const { rows } = await db.raw<{ rows: unknown[] }>(`insert into rate_limits (key, points, expire) values (?, 1, ?) ${UNLESS_LIVE}`, [
    holdKey,
    now + holdMs,
    now,
  ]);
  return rows.length > 0;
}

/** The live count of each key (0 for none, or no key). */
export async function countsOf(db: Db, keys: (string | undefined)[]): Promise<number[]> {
  const asked = keys.filter((k) => k !== undefined);
  if (!asked.length) return keys.map(() => 0);
  const rows: { key: string; points: number }[] = await db('rate_limits').whereIn('key', asked).where('expire', '>', Date.now()).select('key', 'points');
  return keys.map((k) => rows.find((r) => r.key === k)?.points ?? 0);
}

/** Rows deleted (counts forgotten, holds let go) and counts taken back by one, as one write. */
export function release({ remove = [], takeBack = [] }: { remove?: string[]; takeBack?: string[] }): LaterWrite[] {
  return [
    ...(remove.length ? [{ sql: `delete from rate_limits where key in (${remove.map(() => '?').join(', ')})`, bindings: remove }] : []),
    ...(takeBack.length
      ? [
          {
            sql: `update rate_limits set points = points - 1 where key in (${takeBack.map(() => '?').join(', ')}) and expire > ?`,
            bindings: [...takeBack, Date.now()],
          },
        ]
      : []),
  ];
}
