// Recent OCSP answers, so that a citizen who logs in twice in a minute does not cost two round trips to the
// responder. Only definitive answers (good, revoked) are kept, and only briefly: a card revoked now must
// stop working soon. Beside them, for as long, each card certificate read and its verified path to its trust anchor:
// the same certificate checked again against the same anchors would parse the same ASN.1 and verify the same CA
// signature, which together cost more than the token's own signature.
import type { X509Certificate } from 'node:crypto';
import type { CardCertificate } from './card-certificate.ts';
import type { CertificateStatus } from './ocsp-client.ts';
import { createTtlCache, type TtlCache, type TtlCacheOptions } from './ttl-cache.ts';

export type OcspCache = TtlCache<CertificateStatus> & {
  /** Card certificates read, with their verified path [card, issuer, …, anchor], by their digest and the anchors'. */
  cards: TtlCache<{ card: CardCertificate; path: X509Certificate[] }>;
};
export type OcspCacheOptions = TtlCacheOptions;

export const DEFAULT_OCSP_CACHE_TTL_MS = 5 * 60 * 1000;

export function createOcspCache({ ttlMs = DEFAULT_OCSP_CACHE_TTL_MS, maxEntries = 10_000, clock }: OcspCacheOptions = {}): OcspCache {
  const options = { ttlMs, maxEntries, ...(clock ? { clock } : {}) };
  return Object.assign(createTtlCache<CertificateStatus>(options), { cards: createTtlCache<{ card: CardCertificate; path: X509Certificate[] }>(options) });
}
