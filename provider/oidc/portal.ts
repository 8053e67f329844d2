// Portal profiles (PORTAL_PROFILES): one provider serving several portals, each relying app naming the profile of its
// people (`idp clients create --profile NAME`). The profile of the app a person came from shapes what they see from
// there on: the sign-up modes offered, whether the account pages show alerts and the mobile number, whether the
// profile shows the customer number, the theme of its pages and mails, and what the login field asks for. It is
// presentation only: every page stays reachable by its address. The login's lookup follows the profile of the
// interaction's own client (the cookie only for the provider's own account pages, which belong to no portal).
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
  /** What the login field asks for; undefined: LOGIN_IDENTIFIER. */
  loginIdentifier?: Config['loginIdentifier'] | undefined;
}

const NEUTRAL: Portal = { name: null, alerts: true, phone: true, customerNumber: false };

const profileOf = (named: unknown, config: Pick<Config, 'portalProfiles'>): string | undefined =>
  typeof named === 'string' && Object.hasOwn(config.portalProfiles, named) ? named : undefined;

/**
 * Every authorization request of a relying app: its profile holds for the pages the person reaches next, none if it
 * names none. The cookie is not signed: it changes what is shown, never what is allowed.
 */
export function rememberPortals(provider: Provider, config: Pick<Config, 'portalProfiles'>): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'authorization' || !ctx.oidc.client || ctx.oidc.client.clientId === SELF_CLIENT_ID) return;
    const name = profileOf((ctx.oidc.client as { portal_profile?: unknown }).portal_profile, config);
    if (name === ctx.cookies.get(PORTAL_COOKIE)) return;
    ctx.cookies.set(PORTAL_COOKIE, name ?? null, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, overwrite: true });
  });
}

export function portalOf(ctx: Context, config: Pick<Config, 'portalProfiles'>): Portal {
  return portalNamed(ctx.cookies.get(PORTAL_COOKIE), config);
}

/** The portal of a relying app (its `portal_profile`), the neutral one if it names none. */
export function portalOfClient(client: unknown, config: Pick<Config, 'portalProfiles'>): Portal {
  return portalNamed((client as { portal_profile?: unknown } | undefined)?.portal_profile, config);
}

function portalNamed(named: unknown, config: Pick<Config, 'portalProfiles'>): Portal {
  const name = profileOf(named, config);
  return name ? { name, ...config.portalProfiles[name]! } : NEUTRAL;
}

/** What the login field asks for in this portal. */
export const loginIdentifierOf = (portal: Portal, config: Pick<Config, 'loginIdentifier'>): Config['loginIdentifier'] =>
  portal.loginIdentifier ?? config.loginIdentifier;

/**
 * What the login field asks for at a login of `client`: its own profile's. The provider's own account pages have no
 * portal of their own: theirs is the one the person came from.
 */
export const loginIdentifierFor = (ctx: Context, client: { clientId: string } | undefined, config: Pick<Config, 'portalProfiles' | 'loginIdentifier'>) =>
  loginIdentifierOf(client?.clientId === SELF_CLIENT_ID ? portalOf(ctx, config) : portalOfClient(client, config), config);
