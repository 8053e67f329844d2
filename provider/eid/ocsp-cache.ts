// Recent OCSP answers, so that a citizen who logs in twice in a minute does not cost two round trips to the
// responder. Only definitive answers (good, revoked, unknown) are kept, and only briefly: a card revoked now must
// stop working soon.
import type { CertificateStatus } from './ocsp-client.ts';
import { createTtlCache, type TtlCache, type TtlCacheOptions } from './ttl-cache.ts';

export type OcspCache = TtlCache<CertificateStatus>;
export type OcspCacheOptions = TtlCacheOptions;

export const DEFAULT_OCSP_CACHE_TTL_MS = 5 * 60 * 1000;

export function createOcspCache({ ttlMs = DEFAULT_OCSP_CACHE_TTL_MS, maxEntries = 10_000, clock }: OcspCacheOptions = {}): OcspCache {
  return createTtlCache<CertificateStatus>({ ttlMs, maxEntries, ...(clock ? { clock } : {}) });
}
