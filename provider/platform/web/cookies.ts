// The options of every cookie the provider's own pages set to remember a step (CSRF, app session, flows): signed
// so that the browser cannot forge it, HttpOnly, SameSite=Lax, Secure whenever the request came over HTTPS.
import type { Context } from 'koa';

export function signedCookie(ctx: Context, o: { maxAge?: number; path?: string } = {}) {
  return { httpOnly: true, sameSite: 'lax' as const, signed: true, secure: ctx.secure, overwrite: true, ...o };
}
