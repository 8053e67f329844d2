// Who the upstream says the person is: the key an account link is found by, chosen by the upstream's subject claim,
// and what may fill a new account. A national number is turned into its HMAC at once (the key of the eID flow,
// NATIONAL_NUMBER_HMAC_KEY), so the number itself is never kept, logged or compared in clear.
import { AppError } from '../../platform/errors.ts';
import { nationalNumberHmac } from '../../eid/national-number-hmac.ts';
import type { SubjectClaim } from '../../domain/upstreams/repository.ts';

export interface UpstreamIdentity {
  subjectKey: string;
  /** Shown on the account page beside the upstream's name: a name or an address, never the national number. */
  label: string | null;
  givenName: string | null;
  familyName: string | null;
  /** Only an address the upstream says it verified. */
  email: string | null;
  /** The upstream's authentication context, when it gave one, and its authentication methods (RFC 8176). */
  acr: string | null;
  amr: string[];
  /** Set when the subject claim is the national number: the same key finds a card linked by the eID flow. */
  nationalNumberHmac: string | null;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);

export function identityOf(claims: Record<string, unknown>, subjectClaim: SubjectClaim, nationalNumberKey: () => string): UpstreamIdentity {
  const email = claims.email_verified === true ? (str(claims.email)?.toLowerCase() ?? null) : null;
  const givenName = str(claims.given_name);
  const familyName = str(claims.family_name);
  const name = str(claims.name) ?? ([givenName, familyName].filter(Boolean).join(' ') || null);
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === 'string').slice(0, 20) : [];
  const base = { givenName, familyName, email, acr: str(claims.acr), amr, nationalNumberHmac: null };
  const missing = () => new AppError('upstream_claim_missing', 'upstream.error.claim', 502);
  switch (subjectClaim) {
    case 'sub': {
      const sub = str(claims.sub);
      if (!sub) throw missing();
      return { ...base, subjectKey: sub, label: name ?? email };
    }
    case 'email':
      if (!email) throw missing();
      return { ...base, subjectKey: email, label: email };
    case 'national_number': {
      const number = str(claims.national_number);
      if (!number) throw missing();
      let hmac: string;
      try {
        hmac = nationalNumberHmac(number, nationalNumberKey());
      } catch (e) {
        if (e instanceof AppError) throw missing();
        throw e;
      }
      return { ...base, subjectKey: hmac, label: name, nationalNumberHmac: hmac };
    }
  }
}

// RFC 8176's methods by the kind of factor each is: something known, held, or been.
const FACTOR_KIND: Record<string, 'known' | 'held' | 'been'> = {
  pwd: 'known',
  pin: 'known',
  kba: 'known',
  hwk: 'held',
  swk: 'held',
  sc: 'held',
  otp: 'held',
  sms: 'held',
  tel: 'held',
  fpt: 'been',
  face: 'been',
  iris: 'been',
  retina: 'been',
  vbm: 'been',
};
/** eIDAS levels of assurance that require two factors of different kinds (Implementing Regulation 2015/1502). */
const TWO_FACTOR_LEVELS = ['http://eidas.europa.eu/LoA/substantial', 'http://eidas.europa.eu/LoA/high'];

/**
 * Whether the upstream's answer says it authenticated the person with two factors: its amr says `mfa` or names
 * methods of two kinds (a password and a code, a card and its PIN), or its acr is an eIDAS level from substantial up.
 */
export function provesTwoFactors(identity: Pick<UpstreamIdentity, 'acr' | 'amr'>): boolean {
  const amr = identity.amr ?? [];
  if (amr.includes('mfa') || (identity.acr !== null && TWO_FACTOR_LEVELS.includes(identity.acr))) return true;
  return new Set(amr.map((m) => FACTOR_KIND[m]).filter(Boolean)).size >= 2;
}
