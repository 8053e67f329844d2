// The path from the card's certificate up to a configured trust anchor. Web eID tokens carry only the card's own
// certificate, so the issuing CA must be configured: as an anchor (Web eID's recommendation: the path may end at a
// configured intermediate) or as an untrusted intermediate that leads to an anchored root.
import type { X509Certificate } from 'node:crypto';
import { EidError } from './errors.ts';

// Card → Citizen CA → root is the Belgian depth; a little room for cross-certificates, and no more.
const MAX_CA_CERTIFICATES = 4;

/** The path [card, issuer, …, anchor]; its second element is the card's issuer, whom OCSP asks about. */
export function buildPath(leaf: X509Certificate, anchors: readonly X509Certificate[], intermediates: readonly X509Certificate[], now: Date): X509Certificate[] {
  const path = extend([leaf], anchors, intermediates, now);
  if (!path) throw new EidError('certificate_untrusted', `no path from "${leaf.issuer.replace(/\n/g, ', ')}" to a trust anchor`);
  return path;
}

function extend(
  path: X509Certificate[],
  anchors: readonly X509Certificate[],
  intermediates: readonly X509Certificate[],
  now: Date,
): X509Certificate[] | undefined {
  const child = path.at(-1)!;
  const anchor = anchors.find((ca) => issued(ca, child, now));
  if (anchor) return [...path, anchor];
  if (path.length > MAX_CA_CERTIFICATES) return undefined;
  for (const ca of intermediates) {
    if (path.some((c) => c.fingerprint256 === ca.fingerprint256) || !issued(ca, child, now)) continue;
    const found = extend([...path, ca], anchors, intermediates, now);
    if (found) return found;
  }
  return undefined;
}

/** A CA, valid now, whose name and key identifier match the child's issuer and whose key verifies its signature. */
export function issued(ca: X509Certificate, child: X509Certificate, now: Date): boolean {
  return ca.ca && validAt(ca, now) && child.checkIssued(ca) && child.verify(ca.publicKey);
}

export function validAt(certificate: X509Certificate, now: Date): boolean {
  return now >= certificate.validFromDate && now <= certificate.validToDate;
}
