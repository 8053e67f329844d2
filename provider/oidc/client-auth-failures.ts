// A client that fails to authenticate (a wrong or expired secret, another method than it registered) at the
// endpoints that authenticate clients: audited for staff as client.auth_failed, under its client_id and with the
// request's address, and counted. Never held back: a hold per client_id, public in every app's links, would let
// anyone lock the app out, and a secret of 256 random bits is not guessed. The presented secret is never recorded.
// Answered at a fixed time after the request, whether or not the client_id is registered.
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../platform/db/knex.ts';
import { apart } from '../platform/db/later.ts';
import { audit } from '../platform/audit.ts';
import { log, requestAddress } from '../platform/log.ts';
import { clientAuthFailures } from '../platform/metrics/counters.ts';
import { noSoonerThan } from '../platform/web/even-answer.ts';

const FOLD_MS = 60_000;
const MAX_KEPT = 10_000;
// A registered client is read from the adapter's cache, an unknown client_id from the database each time: that read
// alone made an unknown one a millisecond or two slower to refuse, every time. Long enough to outlast it under load.
const ANSWER_MS = 100;

/**
 * One row a minute per client, endpoint and address, per process: one address sent 440 wrong secrets a second
 * (attack pass), a row each, which would bury the rest of the trail. The next row says how many it stands for since
 * the last (`repeats`); the metric counts every one. Past MAX_KEPT keys at once (addresses made up by the thousand),
 * the others are counted only.
 */
export function foldByMinute(now: () => number = Date.now): (key: string) => { record: boolean; repeats: number } {
  const kept = new Map<string, { until: number; repeats: number }>();
  return (key) => {
    const t = now();
    const k = kept.get(key);
    if (k && k.until > t) {
      k.repeats++;
      return { record: false, repeats: 0 };
    }
    if (!k && kept.size >= MAX_KEPT) for (const [other, v] of kept) if (v.until <= t) kept.delete(other);
    if (!k && kept.size >= MAX_KEPT) return { record: false, repeats: 0 };
    kept.set(key, { until: t + FOLD_MS, repeats: 0 });
    return { record: true, repeats: k?.repeats ?? 0 };
  };
}

/** `listener` called with each failed client authentication at the endpoints that authenticate clients. */
export function onClientAuthFailure(provider: Provider, listener: (ctx: KoaContextWithOIDC, err: InstanceType<typeof errors.InvalidClientAuth>) => void): void {
  const failed = (ctx: KoaContextWithOIDC, err: unknown) => {
    if (err instanceof errors.InvalidClientAuth) listener(ctx, err);
  };
  // What oidc-provider emits when one of those endpoints fails (shared/error_handler.js), with the error, once the
  // answer is set and before it leaves.
  provider.on('grant.error', failed);
  provider.on('introspection.error', failed);
  provider.on('revocation.error', failed);
  provider.on('pushed_authorization_request.error', failed);
}

export function auditClientAuthFailures(provider: Provider, db: Db): void {
  const fold = foldByMinute();
  onClientAuthFailure(provider, (ctx, err) => {
    const endpoint = ctx.oidc.route;
    // Named only once its client_id found a registered client: an unknown one, anyone's text, is counted only.
    const client = ctx.oidc.client;
    clientAuthFailures.inc({ endpoint, client: client ? 'registered' : 'unknown' });
    if (!client) return;
    const { record, repeats } = fold(`${client.clientId} ${endpoint} ${requestAddress() ?? ''}`);
    if (!record) return;
    // Apart from the request's batch and not awaited: the answer neither waits for the row (by its time it would tell
    // a registered client_id from an unknown one) nor turns into a 500 should the row fail.
    const details = { client: client.clientId, endpoint, reason: err.error_detail, ...(repeats ? { repeats } : {}) };
    apart(() => audit(db, 'client.auth_failed', { details })).catch((e: unknown) =>
      log.warn('client.auth_failed not recorded', { client: client.clientId, error: (e as Error).message }),
    );
  });
}

/** Every failed client authentication answered ANSWER_MS (plus jitter) after its request began. */
export function evenClientAuthFailures(provider: Provider): void {
  const failed = new WeakSet<object>();
  onClientAuthFailure(provider, (ctx) => failed.add(ctx));
  provider.use(async (ctx, next) => {
    const started = performance.now();
    await next();
    if (failed.has(ctx)) await noSoonerThan(started, ANSWER_MS);
  });
}
