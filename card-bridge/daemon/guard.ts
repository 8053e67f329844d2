// Who may talk to the daemon. It listens on 127.0.0.1 only, yet any web page the citizen visits can send it
// requests, so: the Host header must name the daemon itself (a DNS-rebound name fails), the API answers only
// pages whose Origin is on the allow-list, and CORS / Private Network Access preflights are granted only to them.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { BridgeError } from '../errors.ts';

export function checkHost(req: IncomingMessage, port: number): string {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new BridgeError('bad_host', `Refused: the Host header must be 127.0.0.1:${port} or localhost:${port}`);
  }
  return host;
}

/** The request's Origin when it is on the allow-list; a request without one is refused, not trusted. */
export function allowedOrigin(req: IncomingMessage, allowed: readonly string[]): string {
  const origin = req.headers.origin;
  if (!origin) throw new BridgeError('no_origin', 'Refused: requests must come from a web page (no Origin header)');
  if (!allowed.includes(origin)) throw new BridgeError('origin_not_allowed', `Refused: ${origin} may not use the eID bridge (not in EID_BRIDGE_ALLOWED_ORIGINS)`);
  return origin;
}

/** The PIN page posts to itself: its Origin must be the daemon's own, as named by the checked Host. */
export function checkSameOrigin(req: IncomingMessage, host: string): void {
  if (req.headers.origin !== `http://${host}`) throw new BridgeError('origin_not_allowed', 'Refused: the PIN can only be sent from the eID bridge\'s own page');
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
