// The provider's HTTP contract for reactivating an account with the eID from a terminal (`eid-bridge activate`),
// shared by both sides: the bridge validates the provider's answers with it, the provider types its answers with it.
// It imports nothing, so that the provider's build can compile it without any of the bridge.
//
//   POST {provider}/eid/reactivation/nonce   {"mobile": "0470 12 34 56"}
//     200 {"flowId": "...", "flowSecret": "...", "nonce": "<base64, ≥ 32 bytes>"}
//   POST {provider}/eid/reactivation/token   {"flowId": "...", "flowSecret": "...", "authToken": <Web eID token>, "cardNumber": "...",
//                                             "caCertificates": ["<base64 DER of the card's CA certificate>"]}
//     200 {"cardNumber": "...", "activationToken": "<6 characters>"}
//   any other status: {"error": "<code>", "message": "<for the citizen>"}
//
// Both requests are JSON (the provider refuses anything else). The mobile number goes as the citizen typed it: the
// provider reads it with its own default region, so a bridge serves providers of any country. The flow secret binds
// the flow to this terminal: whoever learns the flow id alone can neither finish it nor open it in a browser.
// The token is signed for the provider's origin (scheme://host:port of {provider}) and the nonce; cardNumber is
// read from the card's data objects, unsigned: the provider only shows it back for the citizen to compare; the CA
// certificate is the card's copy, which the provider uses only if a configured root signed it.

export const REACTIVATION_PATHS = { nonce: 'eid/reactivation/nonce', token: 'eid/reactivation/token' } as const;

export interface NonceRequest {
  mobile: string;
}

export interface NonceResponse {
  flowId: string;
  flowSecret: string;
  nonce: string;
}

/** The Web eID token's fields, as the bridge and the Web eID extension make them. */
export interface ContractAuthToken {
  format: string;
  unverifiedCertificate: string;
  algorithm: string;
  signature: string;
  appVersion: string;
}

export interface TokenRequest {
  flowId: string;
  flowSecret: string;
  authToken: ContractAuthToken;
  cardNumber: string | undefined;
  caCertificates: string[];
}

export interface TokenResponse {
  cardNumber: string;
  activationToken: string;
}

export interface ErrorResponse {
  error: string;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;

/**
 * The mobile number as the citizen typed it, without separators, or undefined when it cannot be a phone number
 * anywhere (E.164 allows 15 digits). Which numbers are valid is the provider's to say, with its region.
 */
export function parseNonceRequest(v: unknown): NonceRequest | undefined {
  if (!isRecord(v) || typeof v.mobile !== 'string') return undefined;
  const mobile = v.mobile.replace(/[\s.()/-]/g, '');
  return /^\+?\d{6,15}$/.test(mobile) ? { mobile } : undefined;
}

export function parseNonceResponse(v: unknown): NonceResponse | undefined {
  if (!isRecord(v) || !text(v.flowId, 1, 200) || !text(v.flowSecret, 32, 100) || !text(v.nonce, 44, 512)) return undefined;
  return { flowId: v.flowId, flowSecret: v.flowSecret, nonce: v.nonce };
}

export function parseTokenResponse(v: unknown): TokenResponse | undefined {
  if (!isRecord(v) || !text(v.cardNumber, 0, 64) || typeof v.activationToken !== 'string' || !/^[0-9A-Za-z]{6}$/.test(v.activationToken)) return undefined;
  return { cardNumber: v.cardNumber, activationToken: v.activationToken };
}

export function parseErrorResponse(v: unknown): ErrorResponse | undefined {
  if (!isRecord(v) || !text(v.error, 1, 100) || !text(v.message, 0, 2000)) return undefined;
  return { error: v.error, message: v.message };
}
