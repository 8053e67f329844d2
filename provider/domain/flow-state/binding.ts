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
 * Flows a browser starts, limited per client address (RATE_LIMIT_FLOWS a minute): each start stores a row, so
 * an unlimited start would let anyone fill the table.
 */
export function createFlowStarts(db: Db, config: Pick<Config, 'rateLimitFlows'>) {
  const limiter = createLimiter(db, { keyPrefix: 'flow_starts', points: config.rateLimitFlows, durationSeconds: 60 });
  return {
    /** The binding for a flow this browser starts now; 429 past the limit. */
    async forBrowser(ctx: Context): Promise<Binding> {
      await this.take(ctx.ip);
      return browserBinding(ctx);
    },
    /**
     * The same for a step after the password (the second step's passkey), counted for the account it proved instead:
     * others behind the person's address (a school, a mobile carrier's NAT) could otherwise use up its share with
     * the login page's passkey options, which anyone may ask for, and keep the person from logging in.
     */
    async forAccount(ctx: Context, userId: string): Promise<Binding> {
      await consumeOrRefuse(limiter, `account:${userId}`);
      return browserBinding(ctx);
    },
    take: (ip: string | undefined) => consumeOrRefuse(limiter, clientAddressKey(ip ?? 'unknown')),
  };
}

export type FlowStarts = ReturnType<typeof createFlowStarts>;
