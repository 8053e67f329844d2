// The bridge's signed-data construction checked against tokens the real Web eID app made with Belgian test
// cards: if H(origin) ‖ H(nonce) were built differently, these signatures would not verify.
import { verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { algorithmFor, signedFields } from '../../card-bridge/web-eid.ts';
import { testCardTokens } from '../helpers/web-eid-fixtures.ts';

const data = testCardTokens();

describe.each(data.tokens)('signed fields of the Web eID app token ($alg)', ({ alg, nonce, token }) => {
  const key = new X509Certificate(Buffer.from(token.unverifiedCertificate, 'base64')).publicKey;
  const signature = Buffer.from(token.signature, 'base64');
  const hash = alg === 'ES384' ? 'sha384' : 'sha256';
  const valid = (fields: Buffer) => verify(hash, fields, { key, dsaEncoding: 'ieee-p1363' }, signature);

  it('are what the card signed', () => {
    expect(valid(signedFields(alg, data.origin, nonce))).toBe(true);
  });

  it('bind the origin and the nonce', () => {
    expect(valid(signedFields(alg, `${data.origin}/`, nonce))).toBe(false);
    expect(valid(signedFields(alg, data.origin, `${nonce}x`))).toBe(false);
    expect(valid(signedFields(alg, nonce, data.origin))).toBe(false);
  });
});

describe('the algorithm for a card key', () => {
  it('follows the curve for EC keys and defaults to RS256 for RSA', () => {
    expect(algorithmFor({ name: 'ECDSA', namedCurve: 'P-384' })).toBe('ES384');
    expect(algorithmFor({ name: 'ECDSA', namedCurve: 'P-256' })).toBe('ES256');
    expect(algorithmFor({ name: 'RSASSA-PKCS1-v1_5' })).toBe('RS256');
    expect(algorithmFor({ name: 'RSASSA-PKCS1-v1_5' }, 'PS256')).toBe('PS256');
  });

  it('refuses an algorithm the key cannot make', () => {
    expect(() => algorithmFor({ name: 'ECDSA', namedCurve: 'P-384' }, 'RS256')).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => algorithmFor({ name: 'RSASSA-PKCS1-v1_5' }, 'ES384')).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => algorithmFor({ name: 'ECDSA', namedCurve: 'K-163' })).toThrow(expect.objectContaining({ code: 'card_error' }));
  });
});
