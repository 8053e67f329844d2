// What a page or `eid-bridge activate` sends back after the card signed: the Web eID token (an object in JSON, its
// JSON text in a form) and the card number the bridge read from the card (unsigned: only shown back to the holder).
import { z } from 'zod';
import { isEidError } from '../../eid/index.ts';
import { catalogue } from '../../http/i18n.ts';

const authToken = z.unknown().transform((v) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    // Left to the validator, which says "incomplete eID response".
    return v;
  }
});

export const cardAnswer = z.object({
  authToken,
  cardNumber: z
    .string()
    .max(64)
    .transform((v) => v.replace(/[\s.-]/g, '').toUpperCase())
    .pipe(z.string().regex(/^[0-9A-Z]{6,20}$/)),
});

export type CardAnswer = z.infer<typeof cardAnswer>;

/** The catalogue key of a refusal: eid.refused.<code> for the validator's codes, else the error's own message key. */
export function refusalKey(e: { code: string; message: string }): string {
  const key = `eid.refused.${e.code}`;
  return isEidError(e) && key in catalogue('en') ? key : e.message;
}
