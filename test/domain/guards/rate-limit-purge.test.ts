// Found by an attack pass: the limits' counts were never deleted, so each address, name and flow ever counted kept
// its row (200 anonymous posts left 400 rows for good). The purge deletes the counts whose window is over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../helpers/db.ts';
import { createLimiter, purgeRateLimits } from '../../../provider/domain/guards/rate-limit.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

describe('the purge of rate-limit counts', () => {
  let db: Db;
  beforeAll(async () => ({ db } = await testDb('pglite')));
  afterAll(() => db?.destroy());

  it('deletes the counts whose window is over and keeps the running ones, which still count', async () => {
    const limiter = createLimiter(db, { keyPrefix: 'purge_test', points: 2, durationSeconds: 60 });
    await limiter.consume('running');
    await limiter.consume('running');
    await db('rate_limits').insert({ key: 'purge_test:over', points: 2, expire: Date.now() - 1000 });
    expect(await purgeRateLimits(db)).toBe(1);
    expect(await db('rate_limits').whereLike('key', 'purge_test:%').orderBy('key').pluck('key')).toEqual(['purge_test:running']);
    await expect(limiter.consume('running')).rejects.toMatchObject({ remainingPoints: 0 });
  });
});
