// The notification API of relying apps (JSON, no cookies, no CSRF: a bearer token authenticates every call).
//
//   POST /api/notifications        Authorization: Bearer <client-credentials access token with scope notifications:send>
//     { "recipients": { "usernames": ["jan.peeters"] } | { "subs": ["…"] } | { "organisation": "Crisis cell" },
//       "subject": "…" (≤ 200), "text": "…" (≤ 2000), "severity": "info" | "warning" | "critical" }
//     → 202 { "id", "status_url" }; 400 invalid_input; 401 invalid_token; 403 insufficient_scope;
//       404 organisation_unknown | recipients_unknown (nothing is sent)
//   GET /api/notifications/{id}    (same client only)
//     → 200 { id, created_at, subject, severity, organisation, summary: { sent, pending, skipped, failed },
//             recipients: [{ sub, username, channels: { email: { status, reason? }, sms: { status, reason? } } }] }
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { UserRepository } from '../../domain/accounts/repository.ts';
import { parseBody } from '../../platform/web/form.ts';
import { AppError, type ErrorParams, type MessageKey } from '../../platform/errors.ts';
import { createNotifications, notificationInput } from '../../domain/notifications/service.ts';
import { NOTIFICATIONS_SCOPE } from '../../oidc/scopes.ts';

export interface NotificationApiDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  provider: () => Provider;
}

export function notificationApi({ config, db, users, provider }: NotificationApiDeps): Router {
  const router = createRouter({ prefix: '/api/notifications' });
  const notifications = createNotifications({ db, users, issuerUrl: config.issuerUrl, defaultLocale: config.defaultLocale });

  /** The calling app, from a live client-credentials token carrying the scope (RFC 6750 errors otherwise). */
  async function caller(ctx: Context): Promise<{ id: string; name: string }> {
    const refuse = (status: 401 | 403, error: string, key: MessageKey, params: ErrorParams = {}) => {
      ctx.set('WWW-Authenticate', `Bearer realm="${config.issuerUrl}", error="${error}"${status === 403 ? `, scope="${NOTIFICATIONS_SCOPE}"` : ''}`);
      return new AppError(error, key, status, params);
    };
    const value = /^Bearer ([\w.~+/-]+=*)$/i.exec(ctx.get('authorization'))?.[1];
    if (!value) throw refuse(401, 'invalid_token', 'error.token_required');
    const token = await provider().ClientCredentials.find(value);
    // A sender-constrained token needs a proof this endpoint does not check: refused rather than accepted unbound.
    if (!token || token.isExpired || token.jkt || token['x5t#S256']) throw refuse(401, 'invalid_token', 'error.token_unknown');
    const client = token.clientId ? await provider().Client.find(token.clientId) : undefined;
    if (!client) throw refuse(401, 'invalid_token', 'error.token_client_gone');
    // oidc-provider lets a client registered without a `scope` ask for any scope: the grant must be registered too.
    const has = (scope: string | undefined) => (scope ?? '').split(' ').includes(NOTIFICATIONS_SCOPE);
    if (!has(token.scope) || !has(client.scope)) {
      throw refuse(403, 'insufficient_scope', 'error.token_scope', { scope: NOTIFICATIONS_SCOPE });
    }
    return { id: client.clientId, name: client.clientName ?? client.clientId };
  }

  router.post('/', async (ctx) => {
    const app = await caller(ctx);
    if (!ctx.is('application/json')) throw new AppError('unsupported_media_type', 'error.json_only', 415);
    const input = await parseBody(ctx, notificationInput);
    const { id } = await notifications.send(app, input);
    ctx.status = 202;
    ctx.set('Location', `/api/notifications/${id}`);
    ctx.body = { id, status_url: `${config.issuerUrl}/api/notifications/${id}` };
  });

  router.get('/:id', async (ctx) => {
    const app = await caller(ctx);
    const status = await notifications.status(app.id, ctx.params.id ?? '');
    if (!status) throw new AppError('not_found', 'error.notification_unknown', 404);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = status;
  });

  return router;
}
