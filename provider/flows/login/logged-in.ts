// The one place a login ends, whichever method proved it (methods/strategy.ts): the login audited (and so counted in
// belid_logins_total{method}), a deletion the person asked for cancelled, this browser remembered as one of the
// account's devices, a new form token for the browser, and the interaction handed back to oidc-provider with the
// account, acr and amr.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Services } from '../../app/services.ts';
import type { Login } from '../../methods/strategy.ts';
import { audit } from '../../platform/audit.ts';
import { rememberDevice } from '../../platform/web/devices.ts';
import { renewCsrf } from '../../platform/web/security.ts';
import { holdLogin } from './held-login.ts';

type InteractionResult = Parameters<Provider['interactionResult']>[2];

/** Hands the interaction's result (a login, a consent, a refusal) to oidc-provider and follows it. */
export async function finishInteraction(ctx: Context, provider: () => Provider, result: InteractionResult): Promise<void> {
  const url = await provider().interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(url);
}

export function loggedInStep({ config, db, provider, deletion }: Pick<Services, 'config' | 'db' | 'provider' | 'deletion'>) {
  return async function loggedIn(ctx: Context, login: Login): Promise<void> {
    const { user } = login;
    // Recorded only with the login it records: one the owner's new password voided meanwhile started no session.
    await audit(db, 'login.success', { userId: user.id, ip: ctx.ip, details: { method: login.method, ...login.details }, claimed: true });
    await deletion.cancelOnLogin(user, ctx.ip);
    rememberDevice(ctx, user);
    holdLogin(ctx, user, config.sessionTtl);
    renewCsrf(ctx);
    // The generation the proof was checked in: what ends the account's access meanwhile voids this login
    // (domain/oidc-models/adapter.ts).
    await finishInteraction(ctx, provider, {
      login: { accountId: user.sub, acr: login.acr, amr: [...login.amr], accessGeneration: user.access_generation, ...(login.at ? { ts: login.at } : {}) },
    });
  };
}

export type LoggedIn = ReturnType<typeof loggedInStep>;
