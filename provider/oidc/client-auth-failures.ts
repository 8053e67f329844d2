// A client that fails to authenticate (a wrong or expired secret, another method than it registered) at the
// endpoints that authenticate clients: audited for staff as client.auth_failed, under its client_id and with the
// request's address, and counted. Never held back: a hold per client_id, public in every app's links, would let
// anyone lock the app out, and a secret of 256 random bits is not guessed. The presented secret is never recorded.
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../platform/db/knex.ts';
import { apart } from '../platform/db/later.ts';
import { audit } from '../platform/audit.ts';
import { log } from '../platform/log.ts';
import { clientAuthFailures } from '../platform/metrics/counters.ts';

export function auditClientAuthFailures(provider: Provider, db: Db): void {
  const failed = (ctx: KoaContextWithOIDC, err: unknown) => {
    if (!(err instanceof errors.InvalidClientAuth)) return;
    const endpoint = ctx.oidc.route;
    // Named only once its client_id found a registered client: an unknown one, anyone's text, is counted only.
    const client = ctx.oidc.client;
    clientAuthFailures.inc({ endpoint, client: client ? 'registered' : 'unknown' });
    if (!client) return;
    // Apart from the request's batch and not awaited: the answer neither waits for the row (by its time it would tell
    // a registered client_id from an unknown one) nor turns into a 500 should the row fail.
    const details = { client: client.clientId, endpoint, reason: err.error_detail };
    apart(() => audit(db, 'client.auth_failed', { details })).catch((e: unknown) =>
      log.warn('client.auth_failed not recorded', { client: client.clientId, error: (e as Error).message }),
    );
  };
  // What oidc-provider emits when one of those endpoints fails (shared/error_handler.js), with the error.
  provider.on('grant.error', failed);
  provider.on('introspection.error', failed);
  provider.on('revocation.error', failed);
  provider.on('pushed_authorization_request.error', failed);
}
