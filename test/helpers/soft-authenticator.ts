// A software passkey authenticator (P-256, "none" attestation) answering exactly as the server's checks expect, for
// tests that need no browser: each refusal they provoke then has one cause.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

export const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** A passkey on a software authenticator of model `aaguid`, for the relying party `rpId`, answering at `origin`. */
export function softAuthenticator(aaguid: string, origin: string, rpId = new URL(origin).hostname) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const id = randomBytes(16);
  const cose = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x!, 'base64url')],
    [-3, Buffer.from(jwk.y!, 'base64url')],
  ]);
  const rpIdHash = sha256(rpId);
  const clientData = (type: string, challenge: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  return {
    counter: 0,
    register(challenge: string): RegistrationResponseJSON {
      const credential = Buffer.concat([Buffer.from(aaguid.replace(/-/g, ''), 'hex'), Buffer.from([0, id.length]), id, isoCBOR.encode(cose)]);
      // Flags: user present, user verified, credential data included.
      const authData = Buffer.concat([rpIdHash, Buffer.from([0x45]), u32(this.counter), credential]);
      const attestation = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]) as never,
      );
      return {
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key',
        response: { clientDataJSON: b64url(clientData('webauthn.create', challenge)), attestationObject: b64url(attestation), transports: ['internal'] },
        clientExtensionResults: {},
      };
    },
    assert(challenge: string, userHandle: string): AuthenticationResponseJSON {
      this.counter += 1;
      const authData = Buffer.concat([rpIdHash, Buffer.from([0x05]), u32(this.counter)]);
      const data = clientData('webauthn.get', challenge);
      return {
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key',
        response: {
          authenticatorData: b64url(authData),
          clientDataJSON: b64url(data),
          signature: b64url(sign('sha256', Buffer.concat([authData, sha256(data)]), privateKey)),
          userHandle,
        },
        clientExtensionResults: {},
      };
    },
  };
}
