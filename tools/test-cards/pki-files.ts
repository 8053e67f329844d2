// The test PKI on disk, next to the virtual card: what the provider trusts (root.pem, citizen-ca.pem, also alone
// in trust-anchors/, the folder to give EID_TRUST_ANCHORS) and what
// `openssl ocsp` needs to answer for the card (CA, responder certificate and key, index.txt). An existing
// PKI in the folder is reused, so re-provisioning a card does not force the provider to trust a new root.
import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createTestEidPki, privateKeyPem, type Issuer, type KeyKind, type TestEidPki } from './test-pki.ts';

export const PKI_FILES = {
  root: 'root.pem',
  rootKey: 'root.key',
  citizenCa: 'citizen-ca.pem',
  citizenCaKey: 'citizen-ca.key',
  ocspResponder: 'ocsp-responder.pem',
  ocspResponderKey: 'ocsp-responder.key',
  authentication: 'authentication.pem',
  signature: 'signature.pem',
  index: 'index.txt',
  trustAnchors: 'trust-anchors',
} as const;

const ISSUERS = [
  ['root', PKI_FILES.root, PKI_FILES.rootKey],
  ['citizenCa', PKI_FILES.citizenCa, PKI_FILES.citizenCaKey],
  ['ocspResponder', PKI_FILES.ocspResponder, PKI_FILES.ocspResponderKey],
] as const;

async function readIssuer(certPath: string, keyPath: string): Promise<Issuer> {
  const cert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
  const keyDer = Buffer.from(readFileSync(keyPath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const { name, namedCurve } = cert.publicKey.algorithm as EcKeyAlgorithm;
  const algorithm = name === 'ECDSA' ? { name, namedCurve } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', keyDer, algorithm, true, ['sign']);
  return { cert, privateKey: privateKey as unknown as CryptoKey };
}

export async function loadOrCreatePki(outDir: string, kind: KeyKind): Promise<TestEidPki> {
  if (!ISSUERS.every(([, cert, key]) => existsSync(join(outDir, cert)) && existsSync(join(outDir, key)))) return createTestEidPki(kind);
  const [root, citizenCa, ocspResponder] = await Promise.all(ISSUERS.map(([, cert, key]) => readIssuer(join(outDir, cert), join(outDir, key))));
  return { root: root!, citizenCa: citizenCa!, ocspResponder: ocspResponder! };
}

const utcTime = (d: Date) => d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
const opensslName = (name: x509.Name) =>
  name
    .toJSON()
    .map((rdn) =>
      Object.entries(rdn)
        .map(([type, values]) => `/${type}=${values.join('+')}`)
        .join(''),
    )
    .join('');
// openssl prints serials as BN_bn2hex does: upper case, without leading zero bytes.
const opensslSerial = (hex: string) => hex.toUpperCase().replace(/^(00)+(?=..)/, '');

/**
 * An openssl CA database (index.txt), which `openssl ocsp` answers from by serial: "V" for a valid certificate,
 * "R" with the time and reason for a revoked one; a serial not listed is "unknown".
 */
export function opensslIndex(entries: { certificate: x509.X509Certificate; revokedAt?: Date }[]): string {
  return entries
    .map(
      ({ certificate: c, revokedAt }) =>
        [
          revokedAt ? 'R' : 'V',
          utcTime(c.notAfter),
          revokedAt ? `${utcTime(revokedAt)},keyCompromise` : '',
          opensslSerial(c.serialNumber),
          'unknown',
          opensslName(c.subjectName),
        ].join('\t') + '\n',
    )
    .join('');
}

/** `added`: the card joins those already provisioned, whose lines in index.txt stay, so OCSP still knows them. */
export async function writePkiFiles(
  outDir: string,
  pki: TestEidPki,
  cards: { authentication: x509.X509Certificate; signature: x509.X509Certificate },
  added = false,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const [name, cert, key] of ISSUERS) {
    writeFileSync(join(outDir, cert), pki[name].cert.toString('pem') + '\n');
    writeFileSync(join(outDir, key), await privateKeyPem(pki[name].privateKey), { mode: 0o600 });
  }
  mkdirSync(join(outDir, PKI_FILES.trustAnchors), { recursive: true });
  for (const name of ['root', 'citizenCa'] as const) {
    writeFileSync(join(outDir, PKI_FILES.trustAnchors, PKI_FILES[name]), pki[name].cert.toString('pem') + '\n');
  }
  writeFileSync(join(outDir, PKI_FILES.authentication), cards.authentication.toString('pem') + '\n');
  writeFileSync(join(outDir, PKI_FILES.signature), cards.signature.toString('pem') + '\n');
  const index = join(outDir, PKI_FILES.index);
  const earlier = added && existsSync(index) ? readFileSync(index, 'utf8') : '';
  writeFileSync(index, earlier + opensslIndex([{ certificate: cards.authentication }, { certificate: cards.signature }]));
  writeFileSync(join(outDir, `${PKI_FILES.index}.attr`), 'unique_subject = no\n');
}

/** What an OCSP responder answers from: a CA's index.txt, the CA, and the signer's certificate and key. */
export interface OcspResponderFiles {
  index: string;
  ca: string;
  signer: string;
  signerKey: string;
}

/** The test PKI's own responder files in `outDir`, as `npm run test-cards` writes them. */
export const pkiResponderFiles = (outDir: string): OcspResponderFiles => ({
  index: join(outDir, PKI_FILES.index),
  ca: join(outDir, PKI_FILES.citizenCa),
  signer: join(outDir, PKI_FILES.ocspResponder),
  signerKey: join(outDir, PKI_FILES.ocspResponderKey),
});

/**
 * The arguments of `openssl` that answer OCSP requests from `files`. Answers say when the next update is due (the
 * provider keeps an answer until then), and a malformed request does not stop the responder.
 */
export function ocspResponderArgs(files: OcspResponderFiles, port: number): string[] {
  return [
    'ocsp',
    '-index',
    files.index,
    '-CA',
    files.ca,
    '-rsigner',
    files.signer,
    '-rkey',
    files.signerKey,
    '-port',
    String(port),
    '-nmin',
    '5',
    '-ignore_err',
  ];
}

/** The same, as a command to paste: the paths quoted. */
export const ocspResponderCommand = (outDir: string, port: number): string =>
  ['openssl', ...ocspResponderArgs(pkiResponderFiles(outDir), port).map((a) => (a.startsWith('/') ? JSON.stringify(a) : a))].join(' ');
