// OWASP's device cookies: a browser that has logged in to an account keeps a signed cookie naming that account and
// a random id for the browser. Its login attempts are counted for that device alone, so failures from elsewhere
// (which anyone can cause at will) do not slow the owner down, and its requests for mail are the owner's own.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { signedCookie } from './cookies.ts';

const DEVICE_COOKIE = 'device';
/** A shared computer remembers the last few accounts used on it. */
const MAX_ACCOUNTS = 10;
const MAX_AGE_MS = 365 * 24 * 3600 * 1000;

const isEntry = (e: unknown): e is [string, string] => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string';

/** Account id → this browser's device id for it. Only a cookie signed with our keys counts. */
export function knownDevices(ctx: Context): Map<string, string> {
  const raw = ctx.cookies.get(DEVICE_COOKIE, { signed: true });
  if (!raw) return new Map();
  try {
    const parsed: unknown = JSON.parse(raw);
    return new Map(Array.isArray(parsed) ? parsed.filter(isEntry) : []);
  } catch {
    // Signed by us but not JSON: a cookie of an older format names no device.
    return new Map();
  }
}

/** After a successful login: this browser is a known device of the account from now on. */
export function rememberDevice(ctx: Context, accountId: string): void {
  const devices = knownDevices(ctx);
  const id = devices.get(accountId) ?? randomBytes(16).toString('base64url');
  // Most recent last, so that the oldest account is the one forgotten.
  devices.delete(accountId);
  devices.set(accountId, id);
  ctx.cookies.set(DEVICE_COOKIE, JSON.stringify([...devices].slice(-MAX_ACCOUNTS)), signedCookie(ctx, { maxAge: MAX_AGE_MS }));
}
