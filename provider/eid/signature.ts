// The card's signature binds the login to this site and this challenge: Web eID signs hash(origin) ‖ hash(nonce),
// both hashed with the algorithm's hash and taken as UTF-8 text (AuthTokenSignatureValidator). A wrong origin or
// nonce therefore shows up here, as a signature that does not verify.
import { constants, createHash, verify, type X509Certificate } from 'node:crypto';
import type { SignatureAlgorithm } from './auth-token.ts';
import { EidError } from './errors.ts';

const KEY_TYPES: Record<string, readonly string[]> = { ES: ['ec'], RS: ['rsa'], PS: ['rsa', 'rsa-pss'] };

export function verifyTokenSignature(algorithm: SignatureAlgorithm, signature: Buffer, certificate: X509Certificate, origin: string, nonce: string): void {
  const family = algorithm.slice(0, 2);
  const hash = `sha${algorithm.slice(2)}`;
  const key = certificate.publicKey;
  if (!KEY_TYPES[family]!.includes(key.asymmetricKeyType ?? '')) {
    throw new EidError('signature_invalid', `${algorithm} does not fit a ${key.asymmetricKeyType} key`);
  }
  const signed = Buffer.concat([createHash(hash).update(origin, 'utf8').digest(), createHash(hash).update(nonce, 'utf8').digest()]);
  let valid: boolean;
  try {
    valid = verify(
      hash,
      signed,
      {
        key,
        // Cards return ECDSA signatures as raw r ‖ s, as JWS does, not DER.
        dsaEncoding: 'ieee-p1363',
        ...(family === 'PS' && { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }),
      },
      signature,
    );
  } catch {
    valid = false;
  }
  if (!valid) throw new EidError('signature_invalid', `${algorithm} signature does not verify for this origin and nonce`);
}
