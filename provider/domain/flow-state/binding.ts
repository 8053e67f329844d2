// Who may continue a self-service flow: only whoever started it. A browser is known by a random id in a signed,
// HttpOnly, SameSite=Lax cookie; a client of the JSON API (`eid-bridge activate`) by the flow secret it was handed.
// A flow keeps only a digest of either, and every step compares it: a flow id that travels (a link sent to a
// victim, a URL typed into another browser) is useless to anyone else. The two kinds never match each other, so
// the pages never accept a flow started through the API.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { consumeOrRefuse, createLimiter } from '../guards/rate-limit.ts';
import { clientAddressKey } from '../guards/throttle.ts';

const ID = /^[\w-]{43}$/;

declare const brand: unique symbol;
/** The digest a flow is bound to. */
export type Binding = string & { readonly [brand]: 'binding' };

const digest = (kind: 'browser' | 'api', secret: string) => `${kind}:${createHash('sha256').update(secret).digest('base64url')}` as Binding;

export const BROWSER_COOKIE = 'flow_browser';

/** The binding of the browser whose cookie holds `id`. */
export const browserBindingOf = (id: string): Binding => digest('browser', id);

/** This browser's binding; a browser without the cookie gets one (it then owns no flow yet). */
export function browserBinding(ctx: Context): Binding {
  let id = ctx.cookies.get(BROWSER_COOKIE, { signed: true });
  if (!id || !ID.test(id)) {
    id = randomBytes(32).toString('base64url');
    ctx.cookies.set(BROWSER_COOKIE, id, signedCookie(ctx));
  }
  return browserBindingOf(id);
}

/** A new flow secret for an API client, and the binding that stores it. */
export function newApiSecret(): { secret: string; binding: Binding } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, binding: digest('api', secret) };
}

export const apiBinding = (secret: string): Binding => digest('api', secret);

export function sameBinding(stored: string, presented: Binding): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Flows a browser starts, limited (RATE_LIMIT_FLOWS a minute) per client address, or per what a flow belongs to when
 * the address would let others behind it (a school at 8:30, a mobile carrier's NAT) use up a person's share: each
 * start stores a row, so an unlimited start would let anyone fill the table.
 */
export function createFlowStarts(db: Db, config: Pick<Config, 'rateLimitFlows'>) {
  const limiter = createLimiter(db, { keyPrefix: 'flow_starts', points: config.rateLimitFlows, durationSeconds: 60 });
  /** The binding for a flow this browser starts now, counted under `key`; 429 past the limit. */
  const counted = async (ctx: Context, key: string): Promise<Binding> => {
    await consumeOrRefuse(limiter, key);
    return browserBinding(ctx);
  };
  return {
    forBrowser: (ctx: Context) => counted(ctx, clientAddressKey(ctx.ip ?? 'unknown')),
    /**
     * A flow of the login `uid` (its page's passkey, its eID card, its bank): counted for that login. Anyone may open
     * as many logins as they like, each itself a stored row, so counting these per address would protect nothing more.
     */
    forLogin: (ctx: Context, uid: string) => counted(ctx, `login:${uid}`),
    /** A step after the password (the second step's passkey): counted for the account it proved. */
    forAccount: (ctx: Context, userId: string) => counted(ctx, `account:${userId}`),
  };
}

export type FlowStarts = ReturnType<typeof createFlowStarts>;
