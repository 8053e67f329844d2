// What a page or `eid-bridge activate` sends back after the card signed: the Web eID token (an object in JSON, its
// JSON text in a form), the card number the bridge read from the card (unsigned: only shown back to the holder; absent
// when the card was read through OpenSC, which shows no identity objects, or through the Web eID extension),
// and the card's copy of its CA certificate (unverified: it counts only if a configured anchor signed it). The
// Web eID browser extension sends no CA certificate; then the issuing CA must be configured.
import { z } from 'zod';

/** A form field holds JSON text; a JSON body the value itself. Text that is not JSON stays text. */
const jsonText = (v: unknown) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    // Left to the schema or the validator, which says "incomplete eID response".
    return v;
  }
};

const BASE64_DER = /^[A-Za-z0-9+/]+={0,2}$/;

export const cardAnswer = z.object({
  authToken: z.unknown().transform(jsonText),
  // A card holds one CA certificate; a few kilobytes each at most, as for the token.
  caCertificates: z.preprocess((v) => (v === '' ? undefined : jsonText(v)), z.array(z.string().max(8000).regex(BASE64_DER)).max(2).default([])),
  cardNumber: z.preprocess(
    (v) => (v === '' || v === null ? undefined : v),
    z
      .string()
      .max(64)
      .transform((v) => v.replace(/[\s.-]/g, '').toUpperCase())
      .pipe(z.string().regex(/^[0-9A-Z]{6,20}$/))
      .optional(),
  ),
});

export type CardAnswer = z.infer<typeof cardAnswer>;
