// The Web eID authentication token (format web-eid:1.0), as the Web eID app makes it and as
// web-eid-authtoken-validation-java's AuthTokenSignatureValidator checks it:
//   signedFields = H(origin as UTF-8) ‖ H(nonce as UTF-8), H = the algorithm's hash (SHA-384 for ES384)
//   signature    = the algorithm applied to signedFields (so for ES384: ECDSA over SHA-384(signedFields)),
//                  ECDSA as raw r‖s, base64; the certificate is base64 DER.
import { createHash } from 'node:crypto';
import { BridgeError } from './errors.ts';
import { BRIDGE_VERSION } from './version.ts';

export const WEB_EID_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256'] as const;
export type WebEidAlgorithm = (typeof WEB_EID_ALGORITHMS)[number];

export interface WebEidAuthToken {
  format: 'web-eid:1.0';
  unverifiedCertificate: string;
  algorithm: WebEidAlgorithm;
  signature: string;
  appVersion: string;
}

export const APP_VERSION = `urn:belid:eid-bridge:${BRIDGE_VERSION}`;

export const hashOf = (algorithm: WebEidAlgorithm): 'sha256' | 'sha384' | 'sha512' => `sha${algorithm.slice(2)}` as 'sha256' | 'sha384' | 'sha512';

export const digest = (algorithm: WebEidAlgorithm, data: Buffer | string): Buffer => createHash(hashOf(algorithm)).update(data).digest();

export function signedFields(algorithm: WebEidAlgorithm, origin: string, nonce: string): Buffer {
  return Buffer.concat([digest(algorithm, Buffer.from(origin, 'utf8')), digest(algorithm, Buffer.from(nonce, 'utf8'))]);
}

const CURVE_ALGORITHM: Record<string, WebEidAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** The algorithm for the certificate's key: ESxxx by curve; RS256 for RSA unless PS256 is asked for. */
export function algorithmFor(key: { name: string; namedCurve?: string }, requested?: WebEidAlgorithm): WebEidAlgorithm {
  const natural = key.name === 'ECDSA' ? CURVE_ALGORITHM[key.namedCurve ?? ''] : 'RS256';
  if (!natural) throw new BridgeError('card_error', `The card's key uses an unsupported curve (${key.namedCurve})`);
  if (!requested || requested === natural) return natural;
  if (natural === 'RS256' && requested === 'PS256') return requested;
  throw new BridgeError('bad_request', `The card's key cannot sign with ${requested}; it signs with ${natural}`);
}

export function authToken(certificateDer: Buffer, algorithm: WebEidAlgorithm, signature: Buffer): WebEidAuthToken {
  return {
    format: 'web-eid:1.0',
    unverifiedCertificate: certificateDer.toString('base64'),
    algorithm,
    signature: signature.toString('base64'),
    appVersion: APP_VERSION,
  };
}
