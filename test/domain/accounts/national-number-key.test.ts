// The national number's key in development, kept in the database: a database away at its first use does not leave
// the card, the staff's searches and the pairwise subs failing until the provider restarts.
import { describe, expect, it } from 'vitest';
import { nationalNumberKey } from '../../../provider/domain/accounts/national-number-key.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

describe('the national number key', () => {
  it('is read again after a failure, then kept', async () => {
    let [down, reads] = [true, 0];
    const db = (() => ({
      insert: () => ({
        onConflict: () => ({
          ignore: async () => {
            reads++;
            if (down) throw new Error('database unavailable');
          },
        }),
      }),
      where: () => ({ first: async () => ({ value: 'k'.repeat(43) }) }),
    })) as unknown as Db;
    const key = nationalNumberKey({ nationalNumberHmacKey: undefined }, db);
    await expect(key()).rejects.toThrow('database unavailable');
    down = false;
    expect(await key()).toBe('k'.repeat(43));
    expect(await key()).toBe('k'.repeat(43));
    expect(reads).toBe(2);
  });
});
