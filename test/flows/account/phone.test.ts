// Mobile numbers as people type them, and what the provider makes of them: the E.164 form it stores and texts, or
// the refusal the profile page shows with an example of the expected form.
import { describe, expect, it } from 'vitest';
import { parseMobile, formatPhone } from '../../../provider/domain/accounts/phone.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const accepted: [string, string][] = [
  ['0490 12 34 56', '+32490123456'],
  ['+32 490 12 34 56', '+32490123456'],
  ['0032490123456', '+32490123456'],
  ['0490/12.34.56', '+32490123456'],
  ['0490-12-34-56', '+32490123456'],
  ['+32 (0)490 12 34 56', '+32490123456'],
  ['  0470123456 ', '+32470123456'],
  ['+33 6 12 34 56 78', '+33612345678'],
  ['0031612345678', '+31612345678'],
  ['+44 7911 123456', '+447911123456'],
  // The USA cannot tell mobile from fixed lines: accepted rather than refused.
  ['+1 650 253 0000', '+16502530000'],
];

const refused: [string, 'invalid' | 'not_mobile'][] = [
  ['02 512 34 56', 'not_mobile'],
  ['+32 2 512 34 56', 'not_mobile'],
  ['0490', 'invalid'],
  ['0490 12 34 56 78 90', 'invalid'],
  ['+32 490 12 34 56 ext 3', 'invalid'],
  ['call me', 'invalid'],
  ['', 'invalid'],
  ['+999 123 456 789', 'invalid'],
];

describe('mobile numbers typed by people (default region BE)', () => {
  it.each(accepted)('%j is stored as %s', (typed, e164) => {
    expect(parseMobile(typed, 'BE')).toEqual({ ok: true, e164 });
  });

  it.each(refused)('%j is refused as %s, with the expected form', (typed, problem) => {
    const r = parseMobile(typed, 'BE');
    expect(r).toMatchObject({ ok: false, problem });
    if (r.ok) return;
    expect(r.example.international).toMatch(/^\+32 4\d\d \d\d \d\d \d\d$/);
    expect(r.example.national).toMatch(/^04\d\d \d\d \d\d \d\d$/);
    const message = translate('en', `account.phone.error.${problem}`, r.example);
    expect(message).toContain(r.example.international);
    expect(message).not.toContain('{');
  });

  it('reads a number without + in the configured region', () => {
    expect(parseMobile('06 12 34 56 78', 'FR')).toEqual({ ok: true, e164: '+33612345678' });
    expect(parseMobile('06 12 34 56 78', 'NL')).toEqual({ ok: true, e164: '+31612345678' });
    expect(parseMobile('0612345678', 'BE')).toMatchObject({ ok: false });
  });

  it('shows a stored number in international form', () => {
    expect(formatPhone('+32490123456')).toBe('+32 490 12 34 56');
  });
});
