// Recent OCSP answers, so that a citizen who logs in twice in a minute does not cost two round trips to the
// responder. Only definitive answers (good, revoked, unknown) are kept, and only briefly: a card revoked now must
// stop working soon.
import type { CertificateStatus } from './ocsp-client.ts';

export interface OcspCache {
  get(key: string): CertificateStatus | undefined;
  set(key: string, status: CertificateStatus): void;
}

export interface OcspCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

export const DEFAULT_OCSP_CACHE_TTL_MS = 5 * 60 * 1000;

export function createOcspCache({ ttlMs = DEFAULT_OCSP_CACHE_TTL_MS, maxEntries = 10_000, clock = Date.now }: OcspCacheOptions = {}): OcspCache {
  const entries = new Map<string, { status: CertificateStatus; expires: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry && entry.expires > clock()) return entry.status;
      entries.delete(key);
      return undefined;
    },
    set(key, status) {
      entries.delete(key);
      // Maps iterate in insertion order, so the first key is the oldest entry.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { status, expires: clock() + ttlMs });
    },
  };
}
