// OWASP's device cookies: a browser that has logged in to an account keeps a signed cookie naming that account, a
// random id for the browser and the account's access generation at that time. Its login attempts are counted for that
// device alone, so failures from elsewhere (which anyone can cause at will) do not slow the owner down, and its
// requests for mail are the owner's own. Whatever ends the account's access moves the generation on
// (domain/accounts/end-access.ts): a browser that logged in with a stolen password is then unknown again.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { signedCookie } from './cookies.ts';

const DEVICE_COOKIE = 'device';
/** A shared computer remembers the last few accounts used on it. */
const MAX_ACCOUNTS = 10;
const MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/** This browser's device for one account, and the account's access generation when it was remembered. */
export interface KnownDevice {
  id: string;
  generation: number;
}

/** What the cookie's entries are checked against: an account's id and its current access generation. */
export interface DeviceHolder {
  id: string;
  access_generation: number;
}

type Entry = [accountId: string, deviceId: string, generation?: number];

// Entries of cookies set before generations existed have two members: generation 0, the column's default.
const isEntry = (e: unknown): e is Entry =>
  Array.isArray(e) && (e.length === 2 || (e.length === 3 && Number.isSafeInteger(e[2]))) && typeof e[0] === 'string' && typeof e[1] === 'string';

/** Account id → this browser's device for it. Only a cookie signed with our keys counts. */
export function knownDevices(ctx: Context): Map<string, KnownDevice> {
  const raw = ctx.cookies.get(DEVICE_COOKIE, { signed: true });
  if (!raw) return new Map();
  try {
    const parsed: unknown = JSON.parse(raw);
    const entries = Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    return new Map(entries.map(([account, id, generation = 0]) => [account, { id, generation }]));
  } catch {
    // Signed by us but not JSON: a cookie of an older format names no device.
    return new Map();
  }
}

/** This browser's device id for the account, unless the account's access has ended since it was remembered. */
export function deviceOf(devices: ReadonlyMap<string, KnownDevice> | undefined, account: DeviceHolder): string | undefined {
  const device = devices?.get(account.id);
  return device?.generation === account.access_generation ? device.id : undefined;
}

/** After a successful login (or a new password): this browser is a known device of the account from now on. */
export function rememberDevice(ctx: Context, account: DeviceHolder): void {
  const devices = knownDevices(ctx);
  const id = deviceOf(devices, account) ?? randomBytes(16).toString('base64url');
  // Most recent last, so that the oldest account is the one forgotten.
  devices.delete(account.id);
  devices.set(account.id, { id, generation: account.access_generation });
  const entries: Entry[] = [...devices].map(([account, d]) => [account, d.id, d.generation]);
  ctx.cookies.set(DEVICE_COOKIE, JSON.stringify(entries.slice(-MAX_ACCOUNTS)), signedCookie(ctx, { maxAge: MAX_AGE_MS }));
}
