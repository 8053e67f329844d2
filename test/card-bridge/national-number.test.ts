import { describe, expect, it } from 'vitest';
import { birthDateOf, genderOf, isValidNationalNumber, nationalNumberCentury, parseNationalNumber } from '../../card-bridge/national-number.ts';

describe('national number check digits', () => {
  it.each([
    // 97 − (850731003 mod 97) = 28
    ['85073100328', 1900],
    // born 2001: 97 − (2010503998 mod 97) = 64 (Nora Specimen, the Belgian test card)
    ['01050399864', 2000],
    // the same nine digits under the pre-2000 rule: 97 − (010503998 mod 97) = 35
    ['01050399835', 1900],
    // 97 − (000000097 mod 97) = 97: a remainder of 0 gives 97, not 00
    ['00000009797', 1900],
  ] as const)('%s is valid, for someone born in the %s century', (nn, century) => {
    expect(nationalNumberCentury(nn)).toBe(century);
    expect(isValidNationalNumber(nn)).toBe(true);
  });

  // wrong check digits (28 expected); too short; too long; not digits; 00 is never a check value
  it.each(['85073100329', '8507310032', '850731003281', '8507310032a', '', '00000009700'])('%s is refused', (nn) => {
    expect(isValidNationalNumber(nn)).toBe(false);
  });

  it('accepts the printed form and names the expected check digits when wrong', () => {
    expect(parseNationalNumber('85.07.31-003.28')).toBe('85073100328');
    expect(() => parseNationalNumber('85073100329')).toThrow(
      expect.objectContaining({
        code: 'national_number_invalid',
        message: expect.stringContaining('expected 28 (born before 2000) or 57 (born 2000 or later)'),
      }),
    );
    expect(() => parseNationalNumber('1234')).toThrow(
      expect.objectContaining({ code: 'national_number_invalid', message: expect.stringContaining('11 digits') }),
    );
  });

  it('gives the birth date with the century the check digits tell, and the gender from the sequence', () => {
    expect(birthDateOf('85073100328')).toBe('1985-07-31');
    expect(birthDateOf('01050399864')).toBe('2001-05-03');
    expect(birthDateOf('01050399835')).toBe('1901-05-03');
    // day 00: the birth date is unknown to the register
    expect(birthDateOf(`850700003${String(97 - (850700003 % 97)).padStart(2, '0')}`)).toBeUndefined();
    expect(genderOf('85073100328')).toBe('M');
    expect(genderOf('01050399864')).toBe('F');
  });
});
