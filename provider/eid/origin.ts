// The site origin the card signed for must be exactly what browsers put in location.origin (scheme, host, optional
// port; no path, no trailing slash), or a correct signature would never match.
import { EidError } from './errors.ts';

/**
 * Plain http is allowed for these hosts only, for development: a loopback origin is reachable from the machine
 * itself, so a token signed for it cannot be phished from elsewhere. Everything else must be https.
 */
export const HTTP_DEVELOPMENT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export function assertOrigin(origin: unknown): asserts origin is string {
  let url: URL | undefined;
  try {
    url = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.origin !== origin) throw new EidError('origin_invalid', `"${String(origin)}" is not a serialised origin`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && HTTP_DEVELOPMENT_HOSTS.includes(url.hostname)) return;
  throw new EidError('origin_invalid', `"${origin}" must use https (http only for ${HTTP_DEVELOPMENT_HOSTS.join(', ')})`);
}
