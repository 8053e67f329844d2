// Accounts are matched to an eID card by a keyed hash of the national (or BIS) number, so the database never
// holds the number itself and a stolen table cannot be reversed by trying all 11-digit numbers without the key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../platform/errors.ts';

const MIN_KEY_BYTES = 32;

/** "85.07.30-033.28", "85073003328" and "85 07 30 033 28" are the same number. */
export function normaliseNationalNumber(input: string): string {
  const digits = input.replace(/[\s.\-/]/g, '');
  if (!/^\d{11}$/.test(digits)) {
    throw new AppError('national_number_invalid', 'error.national_number_invalid', 400);
  }
  return digits;
}

/** Hex HMAC-SHA256 of the normalised number under a secret key of at least 32 bytes. */
export function nationalNumberHmac(nationalNumber: string, key: string | Uint8Array): string {
  if (Buffer.byteLength(key) < MIN_KEY_BYTES) throw new Error(`the national number HMAC key needs at least ${MIN_KEY_BYTES} bytes`);
  return createHmac('sha256', key).update(normaliseNationalNumber(nationalNumber)).digest('hex');
}

/** Compares two HMACs without revealing, through timing, how many leading characters match. */
export function nationalNumberHmacEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
