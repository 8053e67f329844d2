// The provider's HTTP contract for reactivating an account with the eID from a terminal (`eid-bridge activate`):
//
//   POST {provider}/eid/reactivation/nonce   {"mobile": "+32470123456"}
//     200 {"flowId": "...", "flowSecret": "...", "nonce": "<base64, ≥ 32 bytes>"}
//   POST {provider}/eid/reactivation/token   {"flowId": "...", "flowSecret": "...", "authToken": <Web eID token>, "cardNumber": "...",
//                                             "caCertificates": ["<base64 DER of the card's CA certificate>"]}
//     200 {"cardNumber": "...", "activationToken": "<6 characters>"}
//   any other status: {"error": "<code>", "message": "<for the citizen>"}
//
// Both requests are JSON (the provider refuses anything else). The flow secret binds the flow to this terminal:
// whoever learns the flow id alone can neither finish it nor open it in a browser.
// The token is signed for the provider's origin (scheme://host:port of {provider}) and the nonce; cardNumber is
// read from the card's data objects, unsigned: the provider only shows it back for the citizen to compare; the CA
// certificate is the card's copy, which the provider uses only if a configured root signed it.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { BridgeError } from './errors.ts';
import type { WebEidAuthToken } from './web-eid.ts';

export const mobileSchema = z.string().transform((value, ctx) => {
  const phone = parsePhoneNumberFromString(value, 'BE');
  if (!phone?.isValid()) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a phone number (e.g. +32 470 12 34 56)` });
    return z.NEVER;
  }
  return phone.number;
});

export const nonceResponseSchema = z.object({ flowId: z.string().min(1).max(200), flowSecret: z.string().min(32).max(100), nonce: z.string().min(44).max(512) });
export const tokenResponseSchema = z.object({ cardNumber: z.string().max(64), activationToken: z.string().regex(/^[0-9A-Za-z]{6}$/) });

export type NonceResponse = z.infer<typeof nonceResponseSchema>;
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

const TIMEOUT_MS = 20_000;

async function post<T>(url: URL, body: unknown, schema: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new BridgeError('timeout', `The provider at ${url.origin} did not answer in time: retry later`, { cause: e });
    throw new BridgeError('provider_error', `Cannot reach the provider at ${url.origin}: check the address and your connection`, { cause: e });
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = z.object({ message: z.string() }).safeParse(json).data?.message;
    throw new BridgeError('provider_error', `The provider refused (${response.status})${message ? `: ${message}` : ''}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BridgeError('provider_error', `The provider's answer to ${url.pathname} is not what the bridge expects`);
  return parsed.data;
}

export function requestNonce(provider: string, mobile: string): Promise<NonceResponse> {
  return post(new URL('eid/reactivation/nonce', withSlash(provider)), { mobile }, nonceResponseSchema);
}

export function sendAuthToken(provider: string, body: { flowId: string; flowSecret: string; authToken: WebEidAuthToken; cardNumber: string | undefined; caCertificates: string[] }): Promise<TokenResponse> {
  return post(new URL('eid/reactivation/token', withSlash(provider)), body, tokenResponseSchema);
}

/** A provider mounted under a path (https://host/idp) keeps that path. */
const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
