// Portal profiles (PORTAL_PROFILES): one provider serving several portals, each relying app naming the profile of its
// people (`idp clients create --profile NAME`). The profile of the app a person came from shapes what they see from
// there on: the sign-up modes offered, whether the account pages show alerts and the mobile number, and whether the
// profile shows the customer number. It is presentation only: every page stays reachable by its address.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../app/settings.ts';

import { SELF_CLIENT_ID } from './self-client.ts';

const PORTAL_COOKIE = 'portal';

export interface Portal {
  name: string | null;
  /** Sign-up modes offered on /registration; undefined offers every enabled mode. */
  registrationModes?: readonly string[] | undefined;
  alerts: boolean;
  phone: boolean;
  customerNumber: boolean;
}

const NEUTRAL: Portal = { name: null, alerts: true, phone: true, customerNumber: false };

/**
 * Every authorization request of a relying app: its profile holds for the pages the person reaches next, none if it
 * names none. The cookie is not signed: it changes what is shown, never what is allowed.
 */
export function rememberPortals(provider: Provider, config: Pick<Config, 'portalProfiles'>): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'authorization' || !ctx.oidc.client || ctx.oidc.client.clientId === SELF_CLIENT_ID) return;
    const named = (ctx.oidc.client as { portal_profile?: unknown }).portal_profile;
    const name = typeof named === 'string' && named in config.portalProfiles ? named : undefined;
    if (name === ctx.cookies.get(PORTAL_COOKIE)) return;
    ctx.cookies.set(PORTAL_COOKIE, name ?? null, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, overwrite: true });
  });
}

export function portalOf(ctx: Context, config: Pick<Config, 'portalProfiles'>): Portal {
  const name = ctx.cookies.get(PORTAL_COOKIE);
  const profile = name ? config.portalProfiles[name] : undefined;
  return profile ? { name: name!, ...profile } : NEUTRAL;
}
