import { expect, it } from 'vitest';
import { createOcspCache } from '../../provider/eid/index.ts';

it('keeps an answer for its TTL only', () => {
  let now = 1_000;
  const cache = createOcspCache({ ttlMs: 100, clock: () => now });
  cache.set('issuer/1', 'revoked');
  now += 99;
  expect(cache.get('issuer/1')).toBe('revoked');
  now += 1;
  expect(cache.get('issuer/1')).toBeUndefined();
});

it('forgets the oldest answer when full', () => {
  const cache = createOcspCache({ maxEntries: 2 });
  cache.set('issuer/1', 'good');
  cache.set('issuer/2', 'unknown');
  cache.set('issuer/1', 'good');
  cache.set('issuer/3', 'good');
  expect([cache.get('issuer/1'), cache.get('issuer/2'), cache.get('issuer/3')]).toEqual(['good', undefined, 'good']);
});
