// The throttle's counts on PostgreSQL when requests lock the same rows in different orders: one login's count takes
// the name's row and then the address's, while another's release, in the same instant, holds the address's and wants
// the name's. PostgreSQL ends one statement of such a deadlock; a login must not answer 500 for it (an earlier run
// of 30 parallel wrong passwords did, now and then).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { countAttempt } from '../../../provider/domain/guards/attempt-counts.ts';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';

/** Whether the count's statement waits for a row another holds (test files running beside this one share the database). */
const waiting = async (db: Db) =>
  Number(
    (
      await db.raw(
        `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'with c0 as (insert into rate_limits %'`,
      )
    ).rows[0].n,
  ) > 0;

describe.skipIf(!has('postgres'))('counting an attempt on PostgreSQL', () => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await testDb('postgres'));
  });
  afterAll(() => db?.destroy());

  it('counts it, when another statement held its rows in the other order and PostgreSQL ended this one to break the deadlock', async () => {
    const later = Date.now() + 60_000;
    await db('rate_limits').insert([
      { key: 'name', points: 1, expire: later },
      { key: 'address', points: 1, expire: later },
    ]);
    const counters = [
      { key: 'name', holdKey: 'name hold', owesAbove: Infinity },
      { key: 'address', holdKey: 'address hold', owesAbove: Infinity },
    ];
    const other = await db.transaction();
    try {
      // PostgreSQL ends the statement whose backend checks first, one deadlock_timeout after it began to wait; both
      // begin within milliseconds, so on a busy machine it could end the other's. The other waits longer to check.
      await other.raw(`set local deadlock_timeout = '60s'`);
      await other('rate_limits').where({ key: 'address' }).decrement('points', 1);
      const counted = countAttempt(db, counters, 60_000, 1_000);
      counted.catch(() => {}); // awaited below, after the other's commit
      // The count holds the name's row and waits for the address's; the other then wants the name's.
      while (!(await waiting(db))) await new Promise((r) => setTimeout(r, 10));
      await other('rate_limits').where({ key: 'name' }).decrement('points', 1);
      await other.commit();
      expect(await counted).toEqual([
        { count: 1, held: false },
        { count: 1, held: false },
      ]);
    } finally {
      if (!other.isCompleted()) await other.rollback();
    }
  });
});
