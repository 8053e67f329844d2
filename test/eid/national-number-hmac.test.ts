import { describe, expect, it } from 'vitest';
import { nationalNumberHmac, nationalNumberHmacEquals, normaliseNationalNumber } from '../../provider/eid/index.ts';

const KEY = 'a secret key of at least 32 bytes!!';
// `printf %s 85073003328 | openssl dgst -sha256 -hmac "$KEY"`
const EXPECTED = '483e3793ed69031d6ab7e066ba4865689f6a2317117af518e9824f3b8161d7d2';

describe('national number HMAC', () => {
  it('normalises the usual spellings to 11 digits and refuses anything else', () => {
    for (const spelling of ['85073003328', '85.07.30-033.28', '85 07 30 033 28', ' 850730/033-28 ']) {
      expect(normaliseNationalNumber(spelling)).toBe('85073003328');
    }
    for (const bad of ['8507300332', '850730033281', '85O73003328', '', '85,07,30,033,28']) {
      expect(() => normaliseNationalNumber(bad)).toThrow(expect.objectContaining({ code: 'national_number_invalid' }));
    }
  });

  it('is HMAC-SHA256 in hex, the same for every spelling, and different per key and per number', () => {
    expect(nationalNumberHmac('85073003328', KEY)).toBe(EXPECTED);
    expect(nationalNumberHmac('85.07.30-033.28', Buffer.from(KEY))).toBe(EXPECTED);
    expect(nationalNumberHmac('85073003328', `${KEY}?`)).not.toBe(EXPECTED);
    expect(nationalNumberHmac('85073003329', KEY)).not.toBe(EXPECTED);
  });

  it('needs a key of at least 32 bytes', () => {
    expect(() => nationalNumberHmac('85073003328', 'short')).toThrow(/32 bytes/);
  });

  it('compares HMACs', () => {
    const other = nationalNumberHmac('85073003329', KEY);
    expect(nationalNumberHmacEquals(EXPECTED, nationalNumberHmac('85 07 30 033 28', KEY))).toBe(true);
    expect(nationalNumberHmacEquals(EXPECTED, other)).toBe(false);
    expect(nationalNumberHmacEquals(EXPECTED, EXPECTED.slice(0, -1))).toBe(false);
    expect(nationalNumberHmacEquals(EXPECTED, '')).toBe(false);
  });
});
