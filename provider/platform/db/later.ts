// Bookkeeping writes (an audit row, a throttle's counters let go, the device of a session) that nothing in the
// request reads back: inside a request whose writes are batched (domain/oidc-models/request-batch.ts) they wait for
// its end and leave in the batch's one statement; anywhere else they are made at once, as one statement.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import { rowsOf } from './knex.ts';

/** One data-modifying statement (insert, update or delete, `?` bindings) and what to do once it is written. */
export interface LaterWrite {
  sql: string;
  bindings: unknown[];
  written?: () => void;
  /**
   * Made only if the batched request's claims are granted (a login's success, only if its login is kept): its `sql`
   * is then an `insert … select` without a `where`, to which the batch adds that condition.
   */
  claimed?: boolean;
}

interface Waiting {
  db: Knex;
  writes: LaterWrite[];
}

const current = new AsyncLocalStorage<Waiting>();

/** Runs `fn` with the writes `writeLater` is given for `db` collected in `writes`, for the caller to make. */
export const collectingLater = <T>(db: Knex, writes: LaterWrite[], fn: () => Promise<T>): Promise<T> => current.run({ db, writes }, fn);

/** A knex query as a write for `writeLater`. */
export function statementOf(query: Knex.QueryBuilder, written?: () => void): LaterWrite {
  const { sql, bindings } = query.toSQL();
  return { sql, bindings: [...bindings], written };
}

/** The writes as the common table expressions of one statement, named `${prefix}0`, `${prefix}1`, …; a `claimed`
 *  one made where `granted` (the SQL condition that the statement's claims took effect), when there is one. */
export const asCtes = (writes: LaterWrite[], prefix: string, granted = '') => ({
  ctes: writes.map((w, i) => `${prefix}${i} as (${w.sql}${w.claimed && granted ? ` where ${granted}` : ''})`),
  bindings: writes.flatMap((w) => w.bindings),
});

/** Makes `writes` in one statement now (`db` may be a transaction), then calls what waited for them. */
export async function writeNow(db: Knex, writes: LaterWrite[]): Promise<void> {
  if (!writes.length) return;
  const { ctes, bindings } = asCtes(writes, 'x');
  await rowsOf(db, `with ${ctes.join(', ')} select 1`, bindings);
  for (const w of writes) w.written?.();
}

/**
 * Runs `fn` outside the batched request in progress: what it gives `writeLater` is made at once, on its own, so that
 * a write the request's answer must not wait for, nor fail with, can be left running.
 */
export const apart = <T>(fn: () => T): T => current.exit(fn);

/** Makes `writes` at the end of the batched request in progress on `db`, or now when there is none. */
export async function writeLater(db: Knex, ...writes: LaterWrite[]): Promise<void> {
  const waiting = current.getStore();
  if (waiting?.db === db) waiting.writes.push(...writes);
  else await writeNow(db, writes);
}
