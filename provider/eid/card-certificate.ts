// The card's authentication certificate on its own: is it meant for client authentication, is it a Belgian eID
// citizen or foreigner authentication certificate, is it valid now, and whom does it name.
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { EidError } from './errors.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Authentication-certificate policies of the Belgian eID, per root generation: 2.16.56.<root>.1.1.2.2 for citizens
 * (identity cards) and 2.16.56.<root>.1.1.7.2 for foreigners (residence cards) under roots 1 (Belgium Root CA), 9
 * (CA2), 10 (CA3) and 12 (CA4); under Root CA6 (cards since 2020) a new arc, 2.16.56.13.6.1.1.1000 for citizens and
 * 2.16.56.13.6.2.1.1000 for foreigners (their signature certificates: 2.16.56.13.6.<1|2>.2.1000). Source: e-Contract
 * jTrust BelgianTrustValidatorFactory (AUTHN constraints, 2023), whose CA6 signature OID a real card certificate
 * issued by Citizen CA 202107 confirms; the EC test cards carry 2.16.56.12.1.1.2.2. Callers may pass their own list.
 */
export const BELGIAN_AUTHENTICATION_POLICIES: readonly string[] = [
  ...['1', '9', '10', '12'].flatMap((root) => [`2.16.56.${root}.1.1.2.2`, `2.16.56.${root}.1.1.7.2`]),
  '2.16.56.13.6.1.1.1000',
  '2.16.56.13.6.2.1.1000',
];

export interface CardHolder {
  /** Digits only, as in the certificate's serialNumber attribute. */
  nationalNumber: string;
  givenNames: string;
  surname: string;
}

export interface CardCertificate {
  certificate: X509Certificate;
  fields: x509.X509Certificate;
}

export function readCardCertificate(der: Buffer): CardCertificate {
  try {
    return { certificate: new X509Certificate(der), fields: new x509.X509Certificate(new Uint8Array(der)) };
  } catch {
    throw new EidError('token_malformed', 'unverifiedCertificate is not an X.509 certificate');
  }
}

/** Web eID's rule: digitalSignature is required; an EKU extension, when present, must include clientAuth. */
export function checkPurpose({ fields }: CardCertificate): void {
  const keyUsage = fields.getExtension(x509.KeyUsagesExtension);
  if (!keyUsage || !(keyUsage.usages & x509.KeyUsageFlags.digitalSignature)) {
    throw new EidError('certificate_purpose', 'key usage lacks digitalSignature');
  }
  const extendedKeyUsage = fields.getExtension(x509.ExtendedKeyUsageExtension);
  if (extendedKeyUsage && !extendedKeyUsage.usages.includes(CLIENT_AUTH)) {
    throw new EidError('certificate_purpose', 'extended key usage lacks clientAuth');
  }
}

export function checkPolicy({ fields }: CardCertificate, allowed: readonly string[]): void {
  const policies = fields.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
  if (!policies.some((policy) => allowed.includes(policy))) {
    throw new EidError('certificate_policy', `policies [${policies.join(', ')}] are not eID authentication policies`);
  }
}

export function checkValidity({ fields }: CardCertificate, now: Date): void {
  if (now < fields.notBefore) throw new EidError('certificate_not_yet_valid', `valid from ${fields.notBefore.toISOString()}`);
  if (now > fields.notAfter) throw new EidError('certificate_expired', `expired on ${fields.notAfter.toISOString()}`);
}

/** The Belgian eID names the holder in SN, GN and serialNumber (the national or BIS number). */
export function readHolder({ fields }: CardCertificate): CardHolder {
  const [nationalNumber] = fields.subjectName.getField('2.5.4.5');
  const [surname] = fields.subjectName.getField('2.5.4.4');
  const givenNames = fields.subjectName.getField('2.5.4.42').join(' ');
  if (!nationalNumber || !/^\d{11}$/.test(nationalNumber) || !surname) {
    throw new EidError('certificate_subject', 'subject lacks an 11-digit serialNumber or a surname');
  }
  return { nationalNumber, givenNames, surname };
}

/** The OCSP responder the certificate names in its Authority Information Access extension. */
export function ocspUrl({ fields }: CardCertificate): string | undefined {
  return fields.getExtension(x509.AuthorityInfoAccessExtension)?.ocsp.find((name) => name.type === 'url')?.value;
}
