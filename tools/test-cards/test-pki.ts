// A test PKI shaped like the Belgian eID's: "Belgium Root CA (TEST)" → "Citizen CA (TEST)" → the card's
// Authentication and Signature certificates, plus an OCSP signing certificate for a test responder.
// Used by `npm run test-cards` and by the validator's tests; never trusted in production.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

export type KeyKind = 'ec-p256' | 'ec-p384' | 'rsa-2048';

/** Certificate policy OIDs of the Belgian eID (the card's Authentication and Signature certificates). */
export const BELGIAN_EID_POLICY = {
  citizenCa: '2.16.56.12.1.1.2',
  citizenAuthentication: '2.16.56.12.1.1.2.2',
  citizenSignature: '2.16.56.12.1.1.2.1',
  foreignerAuthentication: '2.16.56.12.1.1.7.2',
  /** Root CA6 cards (since 2020): another arc. */
  ca6CitizenAuthentication: '2.16.56.13.6.1.1.1000',
  ca6ForeignerAuthentication: '2.16.56.13.6.2.1.1000',
  ca6CitizenSignature: '2.16.56.13.6.1.2.1000',
} as const;

export interface Issuer {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

export function keyAlgorithm(kind: KeyKind): RsaHashedKeyGenParams | EcKeyGenParams {
  switch (kind) {
    case 'ec-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ec-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'rsa-2048':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  }
}

/** Extractable, so that provisioning can import the private key into a software token. */
export async function generateKeyPair(kind: KeyKind): Promise<CryptoKeyPair> {
  return await subtle.generateKey(keyAlgorithm(kind), true, ['sign', 'verify']);
}

function signingAlgorithm(key: CryptoKey): Algorithm | EcdsaParams {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-384' } : { name: key.algorithm.name, hash: 'SHA-256' };
}

const YEAR = 365 * 24 * 3600 * 1000;

export interface CaOptions {
  name: string;
  kind?: KeyKind;
  notBefore?: Date;
  notAfter?: Date;
  policies?: string[];
}

export async function createRootCa(opts: CaOptions): Promise<Issuer> {
  const keys = await generateKeyPair(opts.kind ?? 'ec-p384');
  const notBefore = opts.notBefore ?? new Date(Date.now() - 24 * 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: opts.name,
    notBefore,
    notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 20 * YEAR),
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, privateKey: keys.privateKey };
}

export async function createIntermediateCa(issuer: Issuer, opts: CaOptions): Promise<Issuer> {
  const keys = await generateKeyPair(opts.kind ?? 'ec-p384');
  const cert = await issueCertificate(issuer, {
    subject: opts.name,
    publicKey: keys.publicKey,
    ca: true,
    keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    policies: opts.policies,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
  });
  return { cert, privateKey: keys.privateKey };
}

export interface CertificateOptions {
  subject: string;
  /** The subject's public key: a CryptoKey or SPKI DER bytes (e.g. read from a token). */
  publicKey: CryptoKey | ArrayBuffer | Uint8Array;
  keyUsage: x509.KeyUsageFlags;
  extendedKeyUsages?: string[] | undefined;
  policies?: string[] | undefined;
  ocspUrl?: string | undefined;
  /** Where the issuer's certificate is published (AIA caIssuers), as on Belgian cards since 2017. */
  caIssuersUrl?: string | undefined;
  ca?: boolean;
  notBefore?: Date | undefined;
  notAfter?: Date | undefined;
  /** Hex serial; random when absent. */
  serialNumber?: string | undefined;
}

export async function issueCertificate(issuer: Issuer, opts: CertificateOptions): Promise<x509.X509Certificate> {
  const publicKey = opts.publicKey instanceof Uint8Array ? opts.publicKey.slice().buffer : opts.publicKey;
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600 * 1000);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca ?? false, opts.ca ? 0 : undefined, true),
    new x509.KeyUsagesExtension(opts.keyUsage, true),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
  ];
  if (opts.extendedKeyUsages?.length) extensions.push(new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsages));
  if (opts.policies?.length) extensions.push(new x509.CertificatePolicyExtension(opts.policies));
  if (opts.ocspUrl || opts.caIssuersUrl) {
    const url = (u: string | undefined) => (u ? [new x509.GeneralName('url', u)] : []);
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: url(opts.ocspUrl), caIssuers: url(opts.caIssuersUrl) }));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: opts.serialNumber ?? randomSerial(),
    subject: opts.subject,
    issuer: issuer.cert.subject,
    notBefore,
    notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 5 * YEAR),
    publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: signingAlgorithm(issuer.privateKey),
    extensions,
  });
}

export interface Holder {
  givenNames: string;
  surname: string;
  nationalNumber: string;
}

/** Subject of a card certificate: C=BE, CN="<given> <surname> (<role>)", SN, GN, serialNumber. */
export function cardSubject(holder: Holder, role: 'Authentication' | 'Signature'): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [
    'C=BE',
    `CN=${esc(`${holder.givenNames} ${holder.surname} (${role})`)}`,
    `SN=${esc(holder.surname)}`,
    `G=${esc(holder.givenNames)}`,
    `2.5.4.5=${esc(holder.nationalNumber)}`,
  ].join(', ');
}

export interface TestEidPki {
  root: Issuer;
  citizenCa: Issuer;
  /** Signs OCSP responses for the citizen CA (delegated responder, id-kp-OCSPSigning). */
  ocspResponder: Issuer;
}

export async function createTestEidPki(kind: KeyKind = 'ec-p384'): Promise<TestEidPki> {
  const root = await createRootCa({ name: 'C=BE, CN=Belgium Root CA (TEST)', kind });
  const citizenCa = await createIntermediateCa(root, {
    name: 'C=BE, CN=Citizen CA (TEST)',
    kind,
    policies: [BELGIAN_EID_POLICY.citizenCa],
  });
  const ocspKeys = await generateKeyPair(kind);
  const ocspCert = await issueCertificate(citizenCa, {
    subject: 'C=BE, CN=Citizen CA OCSP Responder (TEST)',
    publicKey: ocspKeys.publicKey,
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    extendedKeyUsages: ['1.3.6.1.5.5.7.3.9'],
  });
  return { root, citizenCa, ocspResponder: { cert: ocspCert, privateKey: ocspKeys.privateKey } };
}

export interface CardCertificateOptions {
  publicKey: CryptoKey | ArrayBuffer | Uint8Array;
  ocspUrl?: string | undefined;
  caIssuersUrl?: string | undefined;
  notBefore?: Date | undefined;
  notAfter?: Date | undefined;
  /** Override for negative tests (another policy, no policy). */
  policies?: string[] | undefined;
  keyUsage?: x509.KeyUsageFlags | undefined;
  extendedKeyUsages?: string[] | undefined;
}

export function issueAuthenticationCertificate(ca: Issuer, holder: Holder, opts: CardCertificateOptions): Promise<x509.X509Certificate> {
  return issueCertificate(ca, {
    subject: cardSubject(holder, 'Authentication'),
    publicKey: opts.publicKey,
    keyUsage: opts.keyUsage ?? x509.KeyUsageFlags.digitalSignature,
    extendedKeyUsages: opts.extendedKeyUsages,
    policies: opts.policies ?? [BELGIAN_EID_POLICY.citizenAuthentication],
    ocspUrl: opts.ocspUrl,
    caIssuersUrl: opts.caIssuersUrl,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
  });
}

export function issueSignatureCertificate(ca: Issuer, holder: Holder, opts: CardCertificateOptions): Promise<x509.X509Certificate> {
  return issueCertificate(ca, {
    subject: cardSubject(holder, 'Signature'),
    publicKey: opts.publicKey,
    keyUsage: opts.keyUsage ?? x509.KeyUsageFlags.nonRepudiation,
    policies: opts.policies ?? [BELGIAN_EID_POLICY.citizenSignature],
    ocspUrl: opts.ocspUrl,
    caIssuersUrl: opts.caIssuersUrl,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
  });
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
