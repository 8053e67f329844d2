// Security headers on every response, and CSRF protection for every form post: a random token in an
// HttpOnly SameSite cookie that each form echoes in `_csrf` (double submit), plus an Origin check. A login renews it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { bodyFields } from './form.ts';
import { AppError } from '../errors.ts';
import { signedCookie } from './cookies.ts';

// No form-action: Chromium applies it to the redirects that follow a form post, and the login form's redirect
// chain ends at the relying app's redirect_uri.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http://127.0.0.1:* http://localhost:*",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders() {
  return async (ctx: Context, next: Next) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    await next();
  };
}

const CSRF_COOKIE = 'csrf';

/**
 * A new form token for this browser, for the page this request renders and every form after it. Called where a login
 * changes who the browser is: a token read before it (on a shared computer, or planted by another's page) would
 * otherwise go on working for the account's forms.
 */
export function renewCsrf(ctx: Context): string {
  const token = randomBytes(24).toString('base64url');
  ctx.cookies.set(CSRF_COOKIE, token, signedCookie(ctx));
  ctx.state.csrf = token;
  return token;
}

export function csrf(issuerOrigin: string) {
  return async (ctx: Context, next: Next) => {
    const token = ctx.cookies.get(CSRF_COOKIE, { signed: true }) ?? renewCsrf(ctx);
    ctx.state.csrf = token;
    if (ctx.method === 'POST') {
      // Pages take forms only. Any other type would be read as a form too, and a cross-site "text/plain" form
      // can carry fields: refusing it here is what keeps every POST under the token check below. Only a forged or
      // scripted post is not a form: to a person it looks like a stale page, hence the CSRF message.
      if (!ctx.is('application/x-www-form-urlencoded')) throw new AppError('unsupported_media_type', 'error.csrf', 415);
      // Under Referrer-Policy no-referrer browsers send "Origin: null" even for our own forms, so only a named origin
      // can be judged; the form token decides the rest. (Koa 3's ctx.origin is this header, not the page's origin.)
      const origin = ctx.get('origin');
      if (origin && origin !== 'null' && origin !== issuerOrigin && origin !== `${ctx.protocol}://${ctx.host}`) throw new AppError('csrf', 'error.csrf', 403);
      const sent = (await bodyFields(ctx))._csrf;
      // Compared as bytes: a token of as many characters, some of them of several bytes, must be refused, not throw.
      const given = Buffer.from(typeof sent === 'string' ? sent : '');
      const ok = given.length === Buffer.byteLength(token) && timingSafeEqual(given, Buffer.from(token));
      if (!ok) throw new AppError('csrf', 'error.csrf', 403);
    }
    await next();
  };
}
