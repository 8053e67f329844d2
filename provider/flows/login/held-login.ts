// The login this browser holds: a signed cookie naming the account and its access generation when it logged in. What
// ends the account's access elsewhere (a new password, a block, a lock: domain/accounts/end-access.ts) moves the
// generation on and ends the session; the next login page this browser shows then says why it must log in again.
// Only the browser that held the session has the cookie, so no other learns anything of the account.
import type { Context } from 'koa';
import type { Knex } from 'knex';
import type { UserRepository } from '../../domain/accounts/repository.ts';
import type { DeviceHolder } from '../../platform/web/devices.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { forgetProvenLogins } from './proven-login.ts';

const HELD_COOKIE = 'held_login';

/** After a login, or a new password chosen from within the session (which goes on in the new generation). */
export function holdLogin(ctx: Context, account: DeviceHolder, sessionTtlSeconds: number): void {
  ctx.cookies.set(HELD_COOKIE, JSON.stringify([account.id, account.access_generation]), signedCookie(ctx, { maxAge: sessionTtlSeconds * 1000 }));
}

/** A logout from our pages: the session ended by the person's own wish, and with it any password proven here before. */
export function forgetLogin(ctx: Context): void {
  ctx.cookies.set(HELD_COOKIE, null);
  forgetProvenLogins(ctx);
}

/** For a login page: whether this browser's session was ended by the end of its account's access. Asked once. */
export async function accessEndedHere(ctx: Context, db: Knex, users: Pick<UserRepository, 'findById'>): Promise<boolean> {
  const raw = ctx.cookies.get(HELD_COOKIE, { signed: true });
  if (!raw) return false;
  ctx.cookies.set(HELD_COOKIE, null);
  let held: unknown;
  try {
    held = JSON.parse(raw);
  } catch {
    return false;
  }
  if (!Array.isArray(held) || typeof held[0] !== 'string' || !Number.isSafeInteger(held[1])) return false;
  const user = await users.findById(db, held[0]);
  // An account erased meanwhile: nothing is said of it.
  return user !== undefined && user.access_generation !== held[1];
}
