// oidc-provider's requests, each a batch of reads and writes of its models.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../platform/db/knex.ts';
import { inBatch } from '../domain/oidc-models/request-batch.ts';
import { renderError } from './pages.ts';

/**
 * Each protocol request's reads and writes of its models batched (domain/oidc-models/request-batch.ts): its writes
 * are made once it is done, before its answer leaves. Should they fail, the answer is oidc-provider's own to a failing
 * adapter (500 server_error, a 503 when the database is down); should a code or refresh token it used have been used
 * by a concurrent request first, nothing was written, the grant is revoked as for a replay, and the answer is the one
 * to a used grant (to a resume: the page of an expired login).
 */
export function batchRequests(provider: Provider, db: Db) {
  provider.use(async (ctx, next) => {
    let complete: boolean;
    try {
      complete = await inBatch(db, next);
      if (!complete) await revokeRacedGrant(provider, ctx as KoaContextWithOIDC);
    } catch (e) {
      provider.emit('server_error', ctx, e);
      ctx.remove('Location');
      ctx.status = 500;
      ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
      return;
    }
    if (complete) return;
    ctx.remove('Location');
    // A resume whose interaction was deleted meanwhile (the account's access ended, or the same resume ran twice):
    // the browser gets the page of an expired login, as when the interaction is gone before it asks.
    if (ctx.oidc?.route === 'resume') {
      ctx.status = 400;
      const out = { error: 'invalid_request', error_description: 'interaction session not found' };
      return renderError(ctx as KoaContextWithOIDC, out, new Error(out.error_description));
    }
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
  });
}

/**
 * A code or refresh token used by two requests at once is replayed as surely as one used twice in a row, and its
 * use that lost the race ends the grant as oidc-provider ends it for the replay it sees (helpers/grant_source.js,
 * actions/grants/refresh_token.js, then helpers/revoke.js): every token of the grant, and the grant itself. Without
 * this the winner's tokens lived on, whoever the winner was (RFC 6749 §4.1.2, §10.4; the security BCP's refresh
 * token rotation). The winner has committed by now: its consumption and its tokens left in one statement, which the
 * losing statement waited for on the row's lock (PostgreSQL) or ran after (PGlite runs one statement at a time), so
 * the deletion below, a statement of its own after the loss, sees and deletes its tokens. Outside the batch now,
 * the adapter writes at once.
 */
async function revokeRacedGrant(provider: Provider, ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.oidc?.route !== 'token') return;
  const { params, entities } = ctx.oidc;
  const grantId =
    params?.grant_type === 'authorization_code'
      ? entities.AuthorizationCode?.grantId
      : params?.grant_type === 'refresh_token'
        ? (entities.RotatedRefreshToken ?? entities.RefreshToken)?.grantId
        : undefined;
  if (!grantId) return;
  // One after the other: deletions of the same rows at once would only wait for each other.
  for (const model of [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode]) await model.revokeByGrantId(grantId);
  await provider.Grant.adapter.destroy(grantId);
  provider.emit('grant.revoked', ctx, grantId);
}

/**
 * Our own interaction pages batched the same way: the interaction read once however often the page asks for it, and
 * its result with the page's bookkeeping (audit, throttle) written in one statement as the page ends.
 */
export const batchPage =
  (db: Db) =>
  async (_ctx: unknown, next: () => Promise<unknown>): Promise<void> => {
    await inBatch(db, next);
  };
