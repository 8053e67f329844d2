// Who may talk to the daemon. It listens on 127.0.0.1 only, yet any web page the citizen visits can send it
// requests, so the Host header must name the daemon itself (a DNS-rebound name fails). Which pages may ask follows
// Web eID: any https page, since the card signs H(origin) ‖ H(nonce) and the bridge's own page shows the person
// who asks, so a token is worth nothing to another site; plain http only on this machine (development). A managed
// desktop may narrow this to a list (EID_BRIDGE_ALLOWED_ORIGINS). CORS and Private Network Access preflights are
// granted to the pages that may ask, and to no other.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { BridgeError } from '../errors.ts';

export function checkHost(req: IncomingMessage, port: number): string {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new BridgeError('bad_host', `Refused: the Host header must be 127.0.0.1:${port} or localhost:${port}`);
  }
  return host;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function mayAsk(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and anything else that is not an origin
  }
  if (url.origin !== origin) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/**
 * The request's Origin when that page may ask (on the list when there is one); a request without one is refused,
 * not trusted.
 */
export function allowedOrigin(req: IncomingMessage, allowed: readonly string[] | undefined): string {
  const origin = req.headers.origin;
  if (!origin) throw new BridgeError('no_origin', 'Refused: requests must come from a web page (no Origin header)');
  if (allowed && !allowed.includes(origin))
    throw new BridgeError('origin_not_allowed', `Refused: ${origin} may not use the eID bridge (not in EID_BRIDGE_ALLOWED_ORIGINS)`);
  if (!mayAsk(origin))
    throw new BridgeError('origin_not_allowed', `Refused: ${origin} may not use the eID bridge: only https pages may (http only on this computer)`);
  return origin;
}

/** The PIN page posts to itself: its Origin must be the daemon's own, as named by the checked Host. */
export function checkSameOrigin(req: IncomingMessage, host: string): void {
  if (req.headers.origin !== `http://${host}`) throw new BridgeError('origin_not_allowed', "Refused: the PIN can only be sent from the eID bridge's own page");
}

export function corsHeaders(origin: string): OutgoingHttpHeaders {
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

export function preflightHeaders(req: IncomingMessage, origin: string): OutgoingHttpHeaders {
  return {
    ...corsHeaders(origin),
    'access-control-allow-methods': 'GET, POST, DELETE',
    'access-control-allow-headers': 'Content-Type',
    'access-control-max-age': '600',
    // Chrome's Private Network Access: a public page may reach 127.0.0.1 only when the daemon says so.
    ...(req.headers['access-control-request-private-network'] === 'true' ? { 'access-control-allow-private-network': 'true' } : {}),
  };
}
