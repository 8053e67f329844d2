// The signatures of signed cookies (ours through Koa, oidc-provider's through its own app): keygrip's, HMAC-SHA1 in
// base64url under the first key, any key accepted. Keygrip turns its string keys into keys anew at every signature
// and compares by two more HMACs under a fresh random key (tsscmp), several times the cost of the signature itself on
// every signed cookie a request reads; here the keys are made once and compared with timingSafeEqual.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.ts';

/** What Koa's `app.keys` and oidc-provider's `cookies.keys` take in place of a list of keys (keygrip's interface). */
export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** Which key made `digest`, -1 for none: a cookie signed by an older key is signed again by the first. */
  index(data: string, digest: string): number;
}

export function cookieSigner(keys: readonly string[]): CookieSigner {
  const secrets = keys.map((k) => createSecretKey(Buffer.from(k, 'utf8')));
  const first = secrets[0];
  // The settings refuse an empty COOKIE_KEYS, and without it a generated key is used: this is a caller's mistake.
  if (!first) throw new ConfigError(['COOKIE_KEYS: at least one key is needed to sign cookies']);
  const signWith = (key: KeyObject, data: string) => createHmac('sha1', key).update(data).digest('base64url');
  const index = (data: string, digest: string) => {
    const sent = Buffer.from(String(digest));
    return secrets.findIndex((key) => {
      const expected = Buffer.from(signWith(key, data));
      return expected.length === sent.length && timingSafeEqual(expected, sent);
    });
  };
  return { sign: (data) => signWith(first, data), verify: (data, digest) => index(data, digest) > -1, index };
}
