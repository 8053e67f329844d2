// Revocation policy around the OCSP client: which responder to ask, the short-lived cache, and what an unreachable
// responder means. Fail-closed by default: a card cannot be proven unrevoked without an answer.
import type { X509Certificate } from 'node:crypto';
import { EidError, isEidError } from './errors.ts';
import { createOcspCache, type OcspCache } from './ocsp-cache.ts';
import { queryOcsp } from './ocsp-client.ts';

export interface RevocationOptions {
  /** Ask this responder instead of the one in the certificate's Authority Information Access extension. */
  responderUrl?: string;
  /** Accept the card when the responder cannot be reached (never when it answers wrongly). Default false. */
  failOpen?: boolean;
  /** Default 5 s (Web eID's). */
  timeoutMs?: number;
  /** Default 15 min (Web eID's allowed OCSP response time skew). */
  allowedClockSkewMs?: number;
  /** Default 2 min (Web eID's maximum thisUpdate age). */
  maxResponseAgeMs?: number;
  /** Default: one cache shared by the process, 5 min TTL. */
  cache?: OcspCache;
}

/** good: the responder said so; not_checked: revocation was turned off; unreachable: fail-open let it pass. */
export type RevocationResult = 'good' | 'not_checked' | 'unreachable';

const sharedCache = createOcspCache();

/** The cache a validation with these options uses; none when revocation is not checked. */
export const revocationCache = (options: RevocationOptions | false): OcspCache | undefined => (options === false ? undefined : (options.cache ?? sharedCache));

export async function checkRevocation(
  leaf: X509Certificate,
  issuer: X509Certificate,
  certificateOcspUrl: string | undefined,
  options: RevocationOptions | false,
  now: Date,
): Promise<RevocationResult> {
  const cache = revocationCache(options);
  if (options === false || !cache) return 'not_checked';
  const key = `${issuer.fingerprint256}/${leaf.serialNumber}`;
  let status = cache.get(key);
  if (!status) {
    const url = options.responderUrl ?? certificateOcspUrl;
    if (!url) throw new EidError('ocsp_unavailable', 'the certificate names no OCSP responder and none is configured');
    try {
      status = await queryOcsp(leaf, issuer, {
        url,
        now,
        timeoutMs: options.timeoutMs ?? 5000,
        allowedClockSkewMs: options.allowedClockSkewMs ?? 15 * 60 * 1000,
        maxResponseAgeMs: options.maxResponseAgeMs ?? 2 * 60 * 1000,
      });
    } catch (e) {
      if (options.failOpen && isEidError(e, 'ocsp_unavailable')) return 'unreachable';
      throw e;
    }
    // Not 'unknown': a card issued minutes ago may not be known to the responder yet, and its holder tries again.
    if (status !== 'unknown') cache.set(key, status);
  }
  if (status === 'revoked') throw new EidError('certificate_revoked', `serial ${leaf.serialNumber} is revoked`);
  if (status === 'unknown') throw new EidError('certificate_status_unknown', `the responder does not know serial ${leaf.serialNumber}`);
  return 'good';
}
