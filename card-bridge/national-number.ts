// The Belgian national register number: YYMMDD (birth date) + SSS (sequence, odd for men) + CC (check).
// CC = 97 − (the first nine digits mod 97); for people born in 2000 or later the nine digits are prefixed
// with "2" before the modulo, which is also how the century is told apart.
import { BridgeError } from './errors.ts';

export type Century = 1900 | 2000;

function checkDigits(firstNine: string, century: Century): string {
  const n = Number(`${century === 2000 ? '2' : ''}${firstNine}`);
  return String(97 - (n % 97)).padStart(2, '0');
}

/** The birth century the check digits were computed for, or null when they fit neither rule. */
export function nationalNumberCentury(nationalNumber: string): Century | null {
  if (!/^\d{11}$/.test(nationalNumber)) return null;
  const firstNine = nationalNumber.slice(0, 9);
  const check = nationalNumber.slice(9);
  if (checkDigits(firstNine, 1900) === check) return 1900;
  if (checkDigits(firstNine, 2000) === check) return 2000;
  return null;
}

export const isValidNationalNumber = (nationalNumber: string): boolean => nationalNumberCentury(nationalNumber) !== null;

/** Accepts the printed form (85.07.31-003.28) too; throws `national_number_invalid` naming the problem. */
export function parseNationalNumber(input: string): string {
  const digits = input.replace(/[\s.-]/g, '');
  if (!/^\d{11}$/.test(digits)) {
    throw new BridgeError('national_number_invalid', `A national number has 11 digits (YYMMDD, 3-digit sequence, 2 check digits); got "${input}"`);
  }
  if (!isValidNationalNumber(digits)) {
    throw new BridgeError(
      'national_number_invalid',
      `National number ${digits} has wrong check digits: expected ${checkDigits(digits.slice(0, 9), 1900)} (born before 2000) or ${checkDigits(digits.slice(0, 9), 2000)} (born 2000 or later)`,
    );
  }
  return digits;
}

/** ISO birth date, or undefined when the number encodes none (unknown day or month, or a "bis" number). */
export function birthDateOf(nationalNumber: string): string | undefined {
  const century = nationalNumberCentury(nationalNumber);
  if (century === null) return undefined;
  const year = century + Number(nationalNumber.slice(0, 2));
  const month = Number(nationalNumber.slice(2, 4));
  const day = Number(nationalNumber.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

export const genderOf = (nationalNumber: string): 'M' | 'F' => (Number(nationalNumber.slice(6, 9)) % 2 === 1 ? 'M' : 'F');
