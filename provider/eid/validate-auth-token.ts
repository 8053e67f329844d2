// Validation of a Web eID authentication token, in Web eID's order: token shape, certificate purpose and policy,
// validity, trust path, revocation, and last the signature over this site's origin and the caller's nonce.
// Issuing and remembering the nonce is the caller's job; a nonce is only ever checked through the signature.
import { createHash, type X509Certificate } from 'node:crypto';
import { parseAuthToken } from './auth-token.ts';
import {
  BELGIAN_AUTHENTICATION_POLICIES,
  type CardCertificate,
  type CardHolder,
  checkPolicy,
  checkPurpose,
  checkValidity,
  ocspUrl,
  readCardCertificate,
  readHolder,
} from './card-certificate.ts';
import { fetchCaIssuers, type CaIssuersOptions } from './ca-issuers.ts';
import { buildPath, validAt } from './certificate-path.ts';
import { EidError, isEidError } from './errors.ts';
import { assertOrigin } from './origin.ts';
import { checkRevocation, revocationCache, type RevocationOptions, type RevocationResult } from './revocation.ts';
import { verifyTokenSignature } from './signature.ts';
import { type CertificateInput, parseCertificates } from './trust-anchors.ts';

export interface ValidateEidAuthTokenOptions {
  /** This site's origin as the browser sees it, e.g. "https://login.example.be". */
  origin: string;
  /** The challenge nonce the caller issued for this login. */
  nonce: string;
  /** Trusted CA certificates, root or intermediate; a path may end at any of them. */
  trustAnchors: CertificateInput | readonly CertificateInput[];
  /** Untrusted CA certificates that may link the card's issuer to an anchor. */
  intermediates?: CertificateInput | readonly CertificateInput[];
  /**
   * When no anchor or intermediate issued the card: fetch the issuing CA from the card's caIssuers address, on these
   * hosts only (e.g. BELGIAN_CA_ISSUER_HOSTS). Default false: no request but OCSP.
   */
  caIssuers?: CaIssuersOptions | false;
  /** Default: the current time. */
  now?: Date;
  /** OCSP settings, or false to skip the revocation check. Default: OCSP with default settings. */
  revocation?: RevocationOptions | false;
  /** Accepted authentication-certificate policies. Default: BELGIAN_AUTHENTICATION_POLICIES. */
  policies?: readonly string[];
}

export interface EidIdentity extends CardHolder {
  /** The card's authentication certificate, now verified. */
  certificate: X509Certificate;
  revocation: RevocationResult;
}

export async function validateEidAuthToken(token: unknown, options: ValidateEidAuthTokenOptions): Promise<EidIdentity> {
  assertOrigin(options.origin);
  if (typeof options.nonce !== 'string' || options.nonce === '') throw new EidError('nonce_invalid', 'no nonce was given');
  const anchors = parseCertificates(options.trustAnchors);
  if (anchors.length === 0) throw new EidError('trust_anchors_invalid', 'no trust anchor is configured');
  const now = options.now ?? new Date();

  const parsed = parseAuthToken(token);
  const revocationOptions = options.revocation ?? {};
  const cards = revocationCache(revocationOptions)?.cards;
  // The anchors are part of the key: a path verified against one set of anchors says nothing about another.
  const cardKey = [createHash('sha256').update(parsed.certificate).digest('base64'), ...anchors.map((c) => c.fingerprint256)].join('/');
  const known = cards?.get(cardKey);
  const card = known?.card ?? readCardCertificate(parsed.certificate);
  checkPurpose(card);
  checkPolicy(card, options.policies ?? BELGIAN_AUTHENTICATION_POLICIES);
  checkValidity(card, now);
  let path = known?.path;
  if (!path?.every((c) => validAt(c, now))) {
    path = await pathToAnchor(card, anchors, parseCertificates(options.intermediates ?? []), now, options.caIssuers ?? false);
    cards?.set(cardKey, { card, path });
  }
  const revocation = await checkRevocation(card.certificate, path[1]!, ocspUrl(card), revocationOptions, now);
  verifyTokenSignature(parsed.algorithm, parsed.signature, card.certificate, options.origin, options.nonce);
  return { ...readHolder(card), certificate: card.certificate, revocation };
}

/** The path through the given certificates, else through the CA the card's certificate names, fetched. */
async function pathToAnchor(
  card: CardCertificate,
  anchors: X509Certificate[],
  intermediates: X509Certificate[],
  now: Date,
  caIssuers: CaIssuersOptions | false,
): Promise<X509Certificate[]> {
  try {
    return buildPath(card.certificate, anchors, intermediates, now);
  } catch (e) {
    if (!caIssuers || !isEidError(e, 'certificate_untrusted')) throw e;
  }
  return buildPath(card.certificate, anchors, [...intermediates, ...(await fetchCaIssuers(card.fields, caIssuers))], now);
}
