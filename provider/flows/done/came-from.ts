// Which app's login a mailed link's step was started from (the login page passes `return_to`), kept with the link on
// the server, never in it, together with the digest of the browser that asked. The done page then offers the way back
// to that app: its login, only in that same browser and only while the login still exists; else nothing more.
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import { browserBinding, sameBinding, type Binding } from '../../domain/flow-state/binding.ts';
import { safeReturnPath } from '../../platform/web/page.ts';
import { SELF_CLIENT_ID } from '../../oidc/self-client.ts';
import type { MessageKey } from '../../platform/web/message-key.ts';

export interface CameFrom {
  login: string;
  binding: Binding;
}

const LOGIN = /^\/interaction\/([\w-]+)$/;

/**
 * The app's login this request came from, if `returnTo` (the request's `return_to`, or a flow's) names one. No login
 * is looked up, so that every answer is alike.
 */
export function cameFrom(ctx: Context, returnTo: unknown = ctx.query.return_to): CameFrom | undefined {
  const login = safeReturnPath(returnTo, '');
  return LOGIN.test(login) ? { login, binding: browserBinding(ctx) } : undefined;
}

/** "Back to <app>": the login the step came from, when this browser started it and the app's login still exists. */
export async function backToApp(
  { provider }: Pick<Services, 'provider'>,
  ctx: Context,
  from: unknown,
): Promise<{ href: string; key: MessageKey; params: { app: string } } | undefined> {
  const f = from as Partial<CameFrom> | undefined;
  const uid = typeof f?.login === 'string' ? LOGIN.exec(f.login)?.[1] : undefined;
  if (!uid || typeof f?.binding !== 'string' || !sameBinding(f.binding, browserBinding(ctx))) return undefined;
  const interaction = await provider().Interaction.find(uid);
  const client = interaction && (await provider().Client.find(interaction.params.client_id as string));
  if (!client || client.clientId === SELF_CLIENT_ID) return undefined;
  return { href: f.login!, key: 'done.back_to_app', params: { app: client.clientName ?? client.clientId } };
}
