// The bridge's side of the reactivation contract (contract/reactivation.ts): the two requests of `eid-bridge
// activate`, with the provider's answers checked before anything is printed.
import {
  parseErrorResponse,
  parseNonceResponse,
  parseTokenResponse,
  REACTIVATION_PATHS,
  type NonceResponse,
  type TokenRequest,
  type TokenResponse,
} from './contract/reactivation.ts';
import { BridgeError } from './errors.ts';

const TIMEOUT_MS = 20_000;

async function post<T>(url: URL, body: unknown, parse: (json: unknown) => T | undefined): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError')
      throw new BridgeError('timeout', `The provider at ${url.origin} did not answer in time: retry later`, { cause: e });
    throw new BridgeError('provider_error', `Cannot reach the provider at ${url.origin}: check the address and your connection`, { cause: e });
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = parseErrorResponse(json)?.message;
    throw new BridgeError('provider_error', `The provider refused (${response.status})${message ? `: ${message}` : ''}`);
  }
  const parsed = parse(json);
  if (parsed === undefined) throw new BridgeError('provider_error', `The provider's answer to ${url.pathname} is not what the bridge expects`);
  return parsed;
}

export function requestNonce(provider: string, mobile: string): Promise<NonceResponse> {
  return post(new URL(REACTIVATION_PATHS.nonce, withSlash(provider)), { mobile }, parseNonceResponse);
}

export function sendAuthToken(provider: string, body: TokenRequest): Promise<TokenResponse> {
  return post(new URL(REACTIVATION_PATHS.token, withSlash(provider)), body, parseTokenResponse);
}

/** A provider mounted under a path (https://host/idp) keeps that path. */
const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
