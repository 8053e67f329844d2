// The card's issuing CA, fetched from the address the card's certificate names (Authority Information Access,
// caIssuers) when no configured certificate issued the card. A Web eID token carries only the card's certificate,
// and Belgium starts a new Citizen CA every few months (cards since 2017 name it, e.g.
// http://certs.eid.belgium.be/citizen201803.crt). The address comes from a certificate not yet verified, so only
// configured hosts are asked (no request to an address a forger chose), and what they return is only a link that a
// configured anchor must have signed.
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createTtlCache, type TtlCache } from './ttl-cache.ts';
import { parseCertificates } from './trust-anchors.ts';

export interface CaIssuersOptions {
  /** Hosts a certificate's caIssuers address may name; others are never asked. */
  hosts: readonly string[];
  /** Default 3 s. */
  timeoutMs?: number;
  /** Default: one cache shared by the process; a CA certificate does not change, so a day. */
  cache?: TtlCache<X509Certificate[]>;
}

// A CA certificate is 1 to 2 KB.
const MAX_BYTES = 16 * 1024;
const sharedCache = createTtlCache<X509Certificate[]>({ ttlMs: 24 * 3600 * 1000, maxEntries: 200 });

/** The caIssuers addresses of `certificate` (as card-certificate.ts parsed it) on an allowed host. */
export function caIssuerUrls(certificate: x509.X509Certificate, hosts: readonly string[]): string[] {
  const aia = certificate.getExtension(x509.AuthorityInfoAccessExtension);
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  return (aia?.caIssuers ?? [])
    .filter((name) => name.type === 'url')
    .map((name) => URL.parse(name.value))
    .filter((u): u is URL => !!u && (u.protocol === 'http:' || u.protocol === 'https:') && allowed.has(u.hostname.toLowerCase()))
    .map((u) => u.href);
}

/** The CA certificates published for `certificate`; none when the host is not allowed, unreachable or answers garbage. */
export async function fetchCaIssuers(certificate: x509.X509Certificate, options: CaIssuersOptions): Promise<X509Certificate[]> {
  const cache = options.cache ?? sharedCache;
  const found: X509Certificate[] = [];
  for (const url of caIssuerUrls(certificate, options.hosts)) {
    let certificates = cache.get(url);
    if (!certificates) {
      certificates = await download(url, options.timeoutMs ?? 3000);
      if (certificates.length) cache.set(url, certificates);
    }
    found.push(...certificates);
  }
  return found;
}

async function download(url: string, timeoutMs: number): Promise<X509Certificate[]> {
  try {
    const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    const bytes = response.ok && Number(response.headers.get('content-length') ?? 0) <= MAX_BYTES ? new Uint8Array(await response.arrayBuffer()) : undefined;
    // Belgium publishes DER; PEM is read too. A certificate that is no CA is never a link.
    return bytes && bytes.length <= MAX_BYTES ? parseCertificates(bytes).filter((c) => c.ca) : [];
  } catch {
    // Unreachable or unreadable: the card stays untrusted, and the error says so.
    return [];
  }
}
