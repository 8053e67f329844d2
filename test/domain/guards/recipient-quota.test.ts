// Found by the third attack pass: four accounts asking to move to one address (five links each) spent that address's
// ceiling, and the person who holds the mailbox could not move her own account to it for an hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../helpers/db.ts';
import { createRecipientQuota } from '../../../provider/domain/guards/recipient-quota.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

describe('quotas per recipient', () => {
  let db: Db;
  beforeAll(async () => ({ db } = await testDb('pglite')));
  afterAll(() => db?.destroy());

  it("sends an account's first mail to an address past the ceiling others reached, but not its second, nor an address's", async () => {
    const mails = createRecipientQuota(db, { name: 'quota_test_mail', perRequester: { points: 5, seconds: 3600 }, perAddress: { points: 20, seconds: 3600 } });
    const to = (account: string) => mails.allow({ address: 'newhome@example.net', ip: undefined, account });
    for (const account of ['d1', 'd2', 'd3', 'd4']) for (let i = 0; i < 5; i++) expect(await to(account)).toBe(true);
    expect(await to('erin')).toBe(true);
    expect(await to('erin')).toBe(false);
    // Requesters known by their address alone get no such first mail: new addresses are cheap.
    expect(await mails.allow({ address: 'newhome@example.net', ip: '203.0.113.5' })).toBe(false);
  });

  it('sends one mail per pastCeilingSeconds past the ceiling, whoever asks, where the quota has them', async () => {
    const mails = createRecipientQuota(db, {
      name: 'past_test_mail',
      perRequester: { points: 2, seconds: 3600 },
      perAddress: { points: 4, seconds: 3600 },
      pastCeilingSeconds: 1,
    });
    const from = (ip: string) => mails.allow({ address: 'owner@example.net', ip });
    for (const ip of ['203.0.113.1', '203.0.113.2']) for (let i = 0; i < 2; i++) expect(await from(ip)).toBe(true);
    expect([await from('203.0.113.3'), await from('203.0.113.4'), await from('203.0.113.5')]).toEqual([true, false, false]);
    // A requester past its own allowance takes no mail past the ceiling either.
    await new Promise((r) => setTimeout(r, 1_100));
    expect([await from('203.0.113.1'), await from('203.0.113.6'), await from('203.0.113.7')]).toEqual([false, true, false]);
  });

  it('mails a requester who proved the address past the ceiling, within her own allowance only', async () => {
    const mails = createRecipientQuota(db, { name: 'proven_test_mail', perRequester: { points: 2, seconds: 3600 }, perAddress: { points: 4, seconds: 3600 } });
    const from = (ip: string, provenAddress?: boolean) => mails.allow({ address: 'Owner@Example.net ', ip, provenAddress });
    for (const ip of ['203.0.113.1', '203.0.113.2']) for (let i = 0; i < 2; i++) expect(await from(ip)).toBe(true);
    expect(await from('198.51.100.9')).toBe(false);
    expect(await from('198.51.100.9', true)).toBe(true);
    expect(await from('198.51.100.9', true)).toBe(false);
  });
});
