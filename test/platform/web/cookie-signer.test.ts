// Cookie signatures stay keygrip's: a cookie a browser got before keeps working, and the rotation of COOKIE_KEYS
// (first signs, all verify) behaves as before.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieSigner } from '../../../provider/platform/web/cookie-signer.ts';
import { ConfigError } from '../../../provider/platform/errors.ts';

const NEW = 'n'.repeat(32);
const OLD = 'o'.repeat(32);
// keygrip's signature: HMAC-SHA1 in base64 with the URL-unsafe characters replaced and the padding dropped.
const keygrip = (key: string, data: string) =>
  createHmac('sha1', key)
    .update(data)
    .digest('base64')
    .replace(/\/|\+|=/g, (c) => ({ '/': '_', '+': '-', '=': '' })[c]!);

describe('cookie signer', () => {
  const signer = cookieSigner([NEW, OLD]);
  const data = 'csrf=IdA52NPoWMntXcYfVMDP2s81fHkLKmO-';

  it('signs as keygrip does, with the first key', () => {
    for (const d of [data, 'device=[["a","b"]]', '_session=é ü']) expect(signer.sign(d)).toBe(keygrip(NEW, d));
  });

  it('says which key signed, and refuses what no key signed', () => {
    expect(signer.index(data, keygrip(NEW, data))).toBe(0);
    expect(signer.index(data, keygrip(OLD, data))).toBe(1);
    expect(signer.verify(data, keygrip(OLD, data))).toBe(true);
    expect(signer.index(data, keygrip('x'.repeat(32), data))).toBe(-1);
    expect(signer.index(`${data}x`, keygrip(NEW, data))).toBe(-1);
    expect(signer.index(data, keygrip(NEW, data).slice(1))).toBe(-1);
    expect(signer.verify(data, '')).toBe(false);
  });

  it('needs a key', () => {
    expect(() => cookieSigner([])).toThrow(ConfigError);
  });
});
