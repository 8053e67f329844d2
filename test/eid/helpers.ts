// Web eID tokens made the way a card makes them: WebCrypto signs hash(origin) ‖ hash(nonce) with the card's key,
// independently of the validator's node:crypto verification.
import { webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import {
  type CardCertificateOptions,
  generateKeyPair,
  type Holder,
  issueAuthenticationCertificate,
  type Issuer,
  type KeyKind,
} from '../../tools/test-cards/test-pki.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;

export const ORIGIN = 'https://login.example.be';
export const NONCE = 'bXkgbm9uY2UgZm9yIHRoaXMgbG9naW4sIDMyIGJ5dGVzIQ==';
export const HOLDER: Holder = { givenNames: 'Jan Pieter', surname: 'Peeters', nationalNumber: '85073003328' };
export const APP_VERSION = 'https://web-eid.eu/web-eid-app/releases/2.7.0+965';

export type WebEidToken = Record<string, unknown>;

export interface Card {
  keys: CryptoKeyPair;
  certificate: x509.X509Certificate;
}

export type CardOptions = Omit<CardCertificateOptions, 'publicKey'>;

export async function issueCard(ca: Issuer, kind: KeyKind, options: CardOptions = {}): Promise<Card> {
  const keys = await generateKeyPair(kind);
  const certificate = await issueAuthenticationCertificate(ca, HOLDER, { ...options, publicKey: keys.publicKey });
  return { keys, certificate };
}

export interface SignOptions {
  algorithm: string;
  origin?: string;
  nonce?: string;
}

export async function makeToken(card: Card, { algorithm, origin = ORIGIN, nonce = NONCE }: SignOptions): Promise<WebEidToken> {
  const hash = `SHA-${algorithm.slice(2)}`;
  const digest = async (text: string) => new Uint8Array(await subtle.digest(hash, new TextEncoder().encode(text)));
  const signed = new Uint8Array([...(await digest(origin)), ...(await digest(nonce))]);
  const { importParams, signParams } = webCryptoAlgorithm(algorithm, hash, card.keys.privateKey);
  const pkcs8 = await subtle.exportKey('pkcs8', card.keys.privateKey);
  const key = await subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const signature = await subtle.sign(signParams, key, signed);
  return {
    action: 'web-eid:authenticate-success',
    algorithm,
    appVersion: APP_VERSION,
    format: 'web-eid:1.0',
    signature: Buffer.from(signature).toString('base64'),
    unverifiedCertificate: Buffer.from(card.certificate.rawData).toString('base64'),
  };
}

function webCryptoAlgorithm(algorithm: string, hash: string, key: CryptoKey) {
  switch (algorithm.slice(0, 2)) {
    case 'ES':
      return {
        importParams: { name: 'ECDSA', namedCurve: (key.algorithm as EcKeyAlgorithm).namedCurve },
        signParams: { name: 'ECDSA', hash },
      };
    case 'PS':
      return { importParams: { name: 'RSA-PSS', hash }, signParams: { name: 'RSA-PSS', saltLength: Number(algorithm.slice(2)) / 8 } };
    default:
      return { importParams: { name: 'RSASSA-PKCS1-v1_5', hash }, signParams: { name: 'RSASSA-PKCS1-v1_5' } };
  }
}

/** The same token with one field replaced. */
export const withField = (token: WebEidToken, field: string, value: unknown): WebEidToken => ({ ...token, [field]: value });

/** The token's signature with one bit flipped. */
export function flipSignatureBit(token: WebEidToken): WebEidToken {
  const signature = Buffer.from(token.signature as string, 'base64');
  const last = signature.length - 1;
  signature[last] = signature[last]! ^ 0x01;
  return withField(token, 'signature', signature.toString('base64'));
}

export const pem = (certificate: x509.X509Certificate): string => certificate.toString('pem');
