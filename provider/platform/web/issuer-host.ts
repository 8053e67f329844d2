// A browser that opens the provider under another loopback name than ISSUER's (127.0.0.1 for localhost, or [::1])
// keeps its cookies under that name, while every redirect of a login goes to ISSUER's: the login then ends on
// "authorization request has expired", as it did for us following the README. Such a browser's navigations are
// sent to ISSUER's name first. Only between loopback names: behind a proxy the Host may be anything (nginx sends
// the upstream's address by default), and a redirect there could loop.
import type { Context, Next } from 'koa';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The name a Host header gives, as a URL reads it (lower case, IPv6 in brackets, 127.1 as 127.0.0.1). */
export const hostnameOf = (host: string): string | undefined => URL.parse(`http://${host}`)?.hostname;

export function toIssuerHost(issuerUrl: string) {
  const issuer = new URL(issuerUrl);
  return async (ctx: Context, next: Next) => {
    if (!LOOPBACK.has(issuer.hostname) || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.get('sec-fetch-mode') !== 'navigate') return next();
    const hostname = hostnameOf(ctx.get('host'));
    // A request target that is no path (`GET http://… HTTP/1.1`, `GET *`) is no browser's navigation.
    if (!hostname || !LOOPBACK.has(hostname) || hostname === issuer.hostname || !ctx.originalUrl.startsWith('/')) return next();
    // The origin and the path as sent, joined as text: resolved as a URL, a path such as //elsewhere.example would
    // name another host.
    ctx.status = 308;
    ctx.redirect(`${issuer.origin}${ctx.originalUrl}`);
  };
}
