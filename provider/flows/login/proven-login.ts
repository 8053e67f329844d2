// A password proven on a mailed link's page (the sign-up's activation, a new one chosen through recovery) in the
// browser that came from an app's login: Keycloak and Kratos go on logged in after these steps, and so does the way
// back to that app here, rather than asking at once for the password just typed. A signed cookie, sent only to that
// login's own address, names the account, its access generation, the step and its time (the login's auth_time, so
// that an app's max_age holds); the login page takes it once, and the login then ends as one with the password does
// (a second step when the account has a second factor or the app asks for one). A new password, a block or a lock
// meanwhile moves the generation on, and the cookie proves nothing; so does a logout in this browser meanwhile, which
// drops the browser-wide key every such cookie must name (forgetProvenLogins).
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Knex } from 'knex';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import { signedCookie } from '../../platform/web/cookies.ts';

const PROVEN_COOKIE = 'proven_login';
/** Sent to every page (a logout's too, which cannot name each login's address): without it no proven login counts. */
const KEY_COOKIE = 'proven_login_key';
const KEY = /^[\w-]{22}$/;
/** Time to read the page that says the step is done; the app's login may end sooner, and then nothing is proven. */
const PROVEN_SECONDS = 15 * 60;

const provenBy = z.enum(['activation', 'recovery']);
export type ProvenBy = z.infer<typeof provenBy>;
/** The cookie: the login's address, the account, its access generation, the step, when (epoch seconds), the key. */
const provenLogin = z.tuple([z.string(), z.string(), z.number().int(), provenBy, z.number().int(), z.string()]);

/** After the step: the way back to the app's login at `loginPath` (`/interaction/:uid`) goes on as `user`. */
export function holdProvenLogin(ctx: Context, loginPath: string, user: Pick<User, 'id' | 'access_generation'>, by: ProvenBy): void {
  // One key for the browser's proven logins, kept as long as the newest of them.
  const held = ctx.cookies.get(KEY_COOKIE, { signed: true });
  const key = held && KEY.test(held) ? held : randomBytes(16).toString('base64url');
  ctx.cookies.set(KEY_COOKIE, key, signedCookie(ctx, { maxAge: PROVEN_SECONDS * 1000 }));
  ctx.cookies.set(
    PROVEN_COOKIE,
    JSON.stringify([loginPath, user.id, user.access_generation, by, Math.floor(Date.now() / 1000), key]),
    signedCookie(ctx, { maxAge: PROVEN_SECONDS * 1000, path: loginPath }),
  );
}

/** On the login page at `loginPath`: the active account proven there in this generation, and by what; asked once. */
export async function takeProvenLogin(
  ctx: Context,
  loginPath: string,
  db: Knex,
  users: Pick<UserRepository, 'findById'>,
): Promise<{ user: User; by: ProvenBy; at: number } | undefined> {
  const raw = ctx.cookies.get(PROVEN_COOKIE, { signed: true });
  if (!raw) return undefined;
  ctx.cookies.set(PROVEN_COOKIE, null, signedCookie(ctx, { path: loginPath }));
  let held: z.infer<typeof provenLogin>;
  try {
    // Signed by us, yet read as any input is.
    held = provenLogin.parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
  const [path, userId, generation, by, at, key] = held;
  // Logged out since (or the key's time is up): the person left, and whoever uses the browser now proved nothing.
  if (path !== loginPath || key !== ctx.cookies.get(KEY_COOKIE, { signed: true })) return undefined;
  const user = await users.findById(db, userId);
  return user?.status === 'active' && user.access_generation === generation ? { user, by, at } : undefined;
}

/** A logout in this browser: no password proven before it takes anyone back to an app logged in. */
export function forgetProvenLogins(ctx: Context): void {
  ctx.cookies.set(KEY_COOKIE, null);
}
