// One-time tokens: only a keyed hash at rest, single use, expiry, purpose binding, tries, and a race redeemed once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';
import { createTokenService, normaliseCode } from '../../../provider/domain/tokens/one-time.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];

describe.each(kinds)('one-time tokens on %s', (kind) => {
  let db: Db;
  let clock = Date.now();
  const tokens = createTokenService({ key: 'k'.repeat(32), now: () => new Date(clock) });
  const user = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => ({ db } = await testDb(kind)));
  afterAll(() => db.destroy());

  it('stores only a hash, redeems a link once, and tells used, expired and unknown apart', async () => {
    const { token } = await tokens.issue(db, { purpose: 'reset', userId: user, ttlSeconds: 900, format: { kind: 'link' } });
    expect(token).toMatch(/^[\w-]{43}$/);
    const stored = JSON.stringify(await db('one_time_tokens').select());
    expect(stored).not.toContain(token);
    expect((await tokens.peek(db, 'reset', token)).status).toBe('ok');
    expect((await tokens.redeemLink(db, 'activation', token)).status).toBe('invalid');
    const ok = await tokens.redeemLink(db, 'reset', token);
    expect(ok).toMatchObject({ status: 'ok', token: { user_id: user } });
    expect((await tokens.redeemLink(db, 'reset', token)).status).toBe('used');
    expect((await tokens.redeemLink(db, 'reset', `${token.slice(0, -1)}x`)).status).toBe('invalid');

    const late = await tokens.issue(db, { purpose: 'reset', userId: user, ttlSeconds: 900, format: { kind: 'link' } });
    clock += 901_000;
    expect((await tokens.redeemLink(db, 'reset', late.token)).status).toBe('expired');
  });

  it('voids the earlier link when a new one is issued', async () => {
    const first = await tokens.issue(db, { purpose: 'activation', userId: user, ttlSeconds: 60, format: { kind: 'link' } });
    const second = await tokens.issue(db, { purpose: 'activation', userId: user, ttlSeconds: 60, format: { kind: 'link' }, replacePrevious: true });
    expect((await tokens.redeemLink(db, 'activation', first.token)).status).toBe('voided');
    expect((await tokens.redeemLink(db, 'activation', second.token)).status).toBe('ok');
  });

  it('counts wrong tries on a short code and voids it at the last', async () => {
    const { token } = await tokens.issue(db, {
      purpose: 'activation_code',
      userId: user,
      ttlSeconds: 600,
      format: { kind: 'code', length: 6 },
      maxAttempts: 5,
    });
    expect(token).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/);
    const wrong = token === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      expect(await tokens.redeemCode(db, { purpose: 'activation_code', userId: user }, wrong)).toEqual({ status: 'wrong', triesLeft: left });
    }
    expect((await tokens.redeemCode(db, { purpose: 'activation_code', userId: user }, wrong)).status).toBe('voided');
    expect((await tokens.redeemCode(db, { purpose: 'activation_code', userId: user }, token)).status).toBe('voided');
  });

  it('spends one try per guess when wrong guesses race, and voids the code at the last', async () => {
    const { token, id } = await tokens.issue(db, { purpose: 'sms_race', userId: user, ttlSeconds: 600, format: { kind: 'code', length: 6 }, maxAttempts: 5 });
    const wrong = token === '000000' ? '111111' : '000000';
    const results = await Promise.all(Array.from({ length: 40 }, () => tokens.redeemCode(db, { purpose: 'sms_race', userId: user }, wrong)));
    expect(results.filter((r) => r.status === 'wrong')).toHaveLength(4);
    expect(results.filter((r) => r.status === 'voided')).toHaveLength(36);
    expect(await db('one_time_tokens').where({ id }).first('attempts')).toEqual({ attempts: 5 });
    expect((await tokens.redeemCode(db, { purpose: 'sms_race', userId: user }, token)).status).toBe('voided');
  });

  it('accepts a code typed in lower case with spaces, once', async () => {
    const { token } = await tokens.issue(db, { purpose: 'sms', userId: user, ttlSeconds: 600, format: { kind: 'code', length: 6 }, maxAttempts: 5 });
    const typed = `${token.slice(0, 3).toLowerCase()} ${token.slice(3)}`;
    expect(normaliseCode(typed)).toBe(token);
    expect((await tokens.redeemCode(db, { purpose: 'sms', userId: user }, typed)).status).toBe('ok');
    expect((await tokens.redeemCode(db, { purpose: 'sms', userId: user }, typed)).status).toBe('used');
  });

  it('redeems a link once when two requests race', async () => {
    const { token } = await tokens.issue(db, { purpose: 'activation', userId: user, ttlSeconds: 60, format: { kind: 'link' } });
    const results = await Promise.all(Array.from({ length: 5 }, () => tokens.redeemLink(db, 'activation', token)));
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
  });
});
