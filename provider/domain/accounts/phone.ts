// Mobile numbers as people type them ("0490 12 34 56", "+32 490 12 34 56", "0032490123456") turned into the one
// form SMS gateways and relying apps expect: E.164 (+32490123456). Only numbers that can receive an SMS pass; a
// refusal names the expected form with an example of the configured country, so the user can fix it at once
// (the seed's "+32490123456, without a leading zero" becomes something the page says, not a rule to guess).
import { parsePhoneNumberFromString, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';

export type PhoneProblem = 'invalid' | 'not_mobile';

export type PhoneParse = { ok: true; e164: string } | { ok: false; problem: PhoneProblem; example: { national: string; international: string } };

// A number that may be either (the USA, Canada, …) cannot be told apart and is accepted.
const TEXTABLE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

export function exampleMobile(region: CountryCode) {
  const n = getExampleNumber(region, examples);
  return { national: n?.formatNational() ?? '', international: n?.formatInternational() ?? '' };
}

/** Reads a typed mobile number; `region` is the country of a number written without + or 00. */
export function parseMobile(input: string, region: CountryCode): PhoneParse {
  const refuse = (problem: PhoneProblem): PhoneParse => ({ ok: false, problem, example: exampleMobile(region) });
  // Digits and the usual separators only: no letters ("1-800-FLOWERS") and no extension, which cannot receive an SMS.
  if (!/^[\d\s+().\-/]{3,40}$/.test(input.trim())) return refuse('invalid');
  const n = parsePhoneNumberFromString(input, { defaultCountry: region });
  if (!n?.isValid()) return refuse('invalid');
  if (!TEXTABLE.has(n.getType() ?? '')) return refuse('not_mobile');
  return { ok: true, e164: n.number };
}

/** Whether SMS_COUNTRIES (two-letter codes, or `*`) lets a person give this E.164 number on her own pages. */
export const textable = (e164: string, countries: readonly string[]): boolean => {
  const country = parsePhoneNumberFromString(e164)?.country;
  return countries.includes('*') || (country !== undefined && countries.includes(country));
};

/** For showing a stored E.164 number to a person: "+32 490 12 34 56". */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
