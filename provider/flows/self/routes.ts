// Login and logout of the provider's own pages. The authorization code is redeemed in-process (we are the
// provider), bound to a state cookie and PKCE; the resulting app session names the oidc-provider session it came
// from, so ending that session (logout, password reset, revocation) ends this one too.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import { SELF_CLIENT_ID, pkcePair, challengeOf } from '../../oidc/self-client.ts';
import { safeReturnPath } from '../../platform/web/page.ts';
import { AppError } from '../../platform/errors.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { renewCsrf } from '../../platform/web/security.ts';
import { loginIdentifierOf, portalOf } from '../../oidc/portal.ts';
import { forgetLogin } from '../login/held-login.ts';
import { linkedLoginsShown } from '../../domain/upstreams/repository.ts';

// Every page router builds its own requireUser: one kept read of the upstreams per database serves them all.
const linkedLoginsOf = new WeakMap<Db, (userId: string) => Promise<boolean>>();
function sharedLinkedLogins(db: Db, config: Pick<Config, 'upstreamCacheSeconds'>) {
  let shown = linkedLoginsOf.get(db);
  if (!shown) linkedLoginsOf.set(db, (shown = linkedLoginsShown(db, config.upstreamCacheSeconds * 1000)));
  return shown;
}

const SESSION_COOKIE = 'self';
const LOGIN_COOKIE = 'self_login';

interface AppSession {
  sub: string;
  sid: string;
  authTime: number;
  acr?: string;
  exp: number;
}

export interface SelfDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  provider: () => Provider;
}

function loginUrl(returnTo: string, extra: Record<string, string> = {}) {
  return `/self/login?${new URLSearchParams({ return_to: returnTo, ...extra })}`;
}

export function selfRoutes({ config, provider }: SelfDeps): Router {
  const router = createRouter();

  router.get('/self/login', async (ctx) => {
    // Its state cookie is good for one login: a browser that replayed this redirect from its cache (Back from the
    // logout page) would send /auth a state the callback no longer knows, and land on "your login has expired".
    ctx.set('Cache-Control', 'no-store');
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(16).toString('base64url');
    const returnTo = safeReturnPath(ctx.query.return_to, '/account');
    ctx.cookies.set(LOGIN_COOKIE, JSON.stringify({ state, verifier, returnTo }), signedCookie(ctx, { maxAge: 3600_000 }));
    const params = new URLSearchParams({
      client_id: SELF_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${config.issuerUrl}/self/callback`,
      scope: 'openid',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    for (const p of ['prompt', 'max_age', 'acr_values', 'ui_locales', 'login_hint'] as const) {
      if (typeof ctx.query[p] === 'string') params.set(p, ctx.query[p]);
    }
    ctx.redirect(`/auth?${params}`);
  });

  router.get('/self/callback', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const started = ctx.cookies.get(LOGIN_COOKIE, { signed: true });
    ctx.cookies.set(LOGIN_COOKIE, null);
    const login = started ? (JSON.parse(started) as { state: string; verifier: string; returnTo: string }) : undefined;
    const state = String(ctx.query.state ?? '');
    if (!login || state.length !== login.state.length || !timingSafeEqual(Buffer.from(state), Buffer.from(login.state))) {
      throw new AppError('self_login_state', 'error.session_expired', 400);
    }
    if (ctx.query.error) return ctx.redirect('/');
    const code = await provider().AuthorizationCode.find(String(ctx.query.code ?? ''));
    if (
      !code ||
      code.isExpired ||
      (code as unknown as { consumed?: number }).consumed ||
      code.clientId !== SELF_CLIENT_ID ||
      code.codeChallenge !== challengeOf(login.verifier)
    ) {
      throw new AppError('self_login_code', 'error.session_expired', 400);
    }
    await code.consume();
    const session: AppSession = {
      sub: code.accountId!,
      sid: code.sessionUid!,
      authTime: code.authTime!,
      acr: code.acr,
      exp: Math.floor(Date.now() / 1000) + config.sessionTtl,
    };
    ctx.cookies.set(SESSION_COOKIE, JSON.stringify(session), signedCookie(ctx, { maxAge: config.sessionTtl * 1000 }));
    // The account pages' session may begin without a login here (the browser's provider session had one before): the
    // form token of the browser before it is not the one of the account's pages.
    renewCsrf(ctx);
    ctx.redirect(login.returnTo);
  });

  router.post('/self/logout', async (ctx) => {
    ctx.cookies.set(SESSION_COOKIE, null);
    forgetLogin(ctx);
    ctx.redirect(`/session/end?${new URLSearchParams({ client_id: SELF_CLIENT_ID, post_logout_redirect_uri: `${config.issuerUrl}/` })}`);
  });

  return router;
}

/** How recently the password (or a passkey) must have been given for a change to how one logs in or is reached. */
export const REAUTH_SECONDS = 300;

export interface RequireUserOptions {
  role?: string;
  /** Re-authentication: the password must have been given within this many seconds. */
  maxAgeSeconds?: number;
}

/** Middleware for a page that changes how one logs in or is reached: a login within REAUTH_SECONDS, or the login again. */
export function requireRecentLogin(deps: Pick<SelfDeps, 'config' | 'db' | 'users'>) {
  return requireUser(deps, { maxAgeSeconds: REAUTH_SECONDS });
}

/** Middleware for the provider's own pages: sets ctx.state.user, or sends the browser to log in. */
export function requireUser({ config, db, users }: Pick<SelfDeps, 'config' | 'db' | 'users'>, o: RequireUserOptions = {}) {
  // The staff pages (a role) have their own menu.
  const linkedLogins = o.role ? undefined : sharedLinkedLogins(db, config);
  return async (ctx: Context, next: Next) => {
    const user = await currentUser(ctx, db, users);
    // After a POST the page to come back to is the form's; a Referer that is no URL (or none) means the account page.
    const returnTo = ctx.method === 'GET' ? ctx.originalUrl : (URL.parse(ctx.get('referer'))?.pathname ?? '/account');
    // Never kept by the browser: Back to a page of a session since ended would replay this redirect from the cache
    // after the next login too, round and round between the page and the login.
    if (!user || o.maxAgeSeconds !== undefined) ctx.set('Cache-Control', 'no-store');
    if (!user) return ctx.redirect(loginUrl(returnTo));
    const session = ctx.state.appSession as AppSession;
    const portal = portalOf(ctx, config);
    const loginIdentifier = loginIdentifierOf(portal, config);
    if (o.maxAgeSeconds !== undefined && Date.now() / 1000 - session.authTime > o.maxAgeSeconds) {
      // The login page asks for what this portal logs in with (a customer number is not on the account).
      const hint = loginIdentifier.startsWith('username') ? (user.username ?? user.email) : loginIdentifier.startsWith('email') ? user.email : undefined;
      return ctx.redirect(loginUrl(returnTo, { max_age: '0', prompt: 'login', login_hint: hint ?? '' }));
    }
    if (o.role && !user.roles.includes(o.role)) throw new AppError('forbidden', 'error.forbidden', 403);
    ctx.state.user = user;
    // The account pages' menu: isAdmin leads staff to the staff pages, linkedLogins to the person's linked logins.
    ctx.state.shared = {
      ...(ctx.state.shared as object | undefined),
      portal,
      loginIdentifier,
      isAdmin: user.roles.includes('admin'),
      linkedLogins: await linkedLogins?.(user.id),
    };
    await next();
  };
}

async function currentUser(ctx: Context, db: Db, users: UserRepository): Promise<User | undefined> {
  const raw = ctx.cookies.get(SESSION_COOKIE, { signed: true });
  if (!raw) return undefined;
  let session: AppSession;
  try {
    session = JSON.parse(raw) as AppSession;
  } catch {
    return undefined;
  }
  if (session.exp < Date.now() / 1000) return undefined;
  // The provider's session must still be alive: logging out or resetting the password ends it.
  const alive = await db('oidc_models')
    .where({ model: 'Session', uid: session.sid })
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
    .first('id');
  if (!alive) return undefined;
  const user = await users.findBySub(db, session.sub);
  if (!user || user.status !== 'active') return undefined;
  ctx.state.appSession = session;
  return user;
}
