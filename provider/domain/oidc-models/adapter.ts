// The one oidc-provider Adapter: every model it persists (Session, Grant, AuthorizationCode, AccessToken,
// RefreshToken, ClientCredentials, Interaction, Client, ReplayDetection, PushedAuthorizationRequest, …) is a row
// of oidc_models, so all processes on one database act as one provider. Expiry is compared in JS time so that
// tests can move the clock; expired rows are invisible at once and deleted later by `purgeExpired`.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { fromJsonColumn, type Db } from '../../platform/db/knex.ts';
import { hasNul } from '../../platform/nul.ts';
import { enqueueLogout } from '../messaging/outbox.ts';
import { batchOf, defer, findRow, flushNow, forget, known, writeAlone, type AccessHeld, type RowValues } from './request-batch.ts';

export interface AdapterOptions {
  now?: () => Date;
  /**
   * How long a process keeps a client's metadata, milliseconds. Every token request reads its client and clients
   * rarely change, so this saves a database round trip per request; a change made through another process (a
   * rotated secret, a removed client) is seen within this time. 0 turns the cache off.
   */
  clientCacheMs?: number;
}

export function createAdapterFactory(db: Db, o: AdapterOptions = {}): new (model: string) => Adapter {
  const now = o.now ?? (() => new Date());
  const clientCacheMs = o.clientCacheMs ?? 0;
  // Kept as JSON text: each hit parses its own copy, which is cheaper than cloning an object (the payload came
  // from a JSON column, so nothing is lost).
  const clients = new Map<string, { json: string; until: number }>();

  return class KnexAdapter implements Adapter {
    readonly model: string;
    private readonly db: Db;
    constructor(model: string, on: Db = db) {
      this.model = model;
      this.db = on;
    }

    /** This model's adapter writing in `trx`, with this process's client cache: a change commits with its audit row. */
    in(trx: Db): KnexAdapter {
      return new KnexAdapter(this.model, trx);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // Whatever a request carried into the payload (client metadata, the claims parameter, …) is screened here,
      // where every model passes: oidc-provider answers these errors with 400 and nothing is stored.
      if (hasNul(payload)) {
        throw this.model === 'Client'
          ? new errors.InvalidClientMetadata('client metadata must not contain NUL characters')
          : new errors.InvalidRequest('request parameters must not contain NUL characters');
      }
      const row: RowValues = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        // An interaction holding a login not yet resumed names its account too, so that what ends the account's access
        // ends it as well: resumed later, it would start a session after the new password.
        account_id: payload.accountId ?? payload.result?.login?.accountId ?? null,
        expires_at: expiresIn ? new Date(now().getTime() + expiresIn * 1000) : null,
      };
      const held = heldAccess(payload);
      const batch = batchOf(this.db, this.model);
      if (batch) return defer(batch, { kind: 'upsert', row, held });
      if (held) {
        // Written only while the account has the generation; otherwise the interaction goes on without the login.
        await writeAlone(this.db, [{ kind: 'upsert', row, held }]);
        return;
      }
      await this.db('oidc_models').insert(row).onConflict(['model', 'id']).merge();
      if (this.model === 'Client') clients.delete(id);
    }

    async find(id: string) {
      if (this.model !== 'Client' || !clientCacheMs) return this.findWhere({ id });
      const cached = clients.get(id);
      // A copy: the caller may change what it gets, the cache must not.
      if (cached && cached.until > now().getTime()) return JSON.parse(cached.json) as AdapterPayload;
      const payload = await this.findWhere({ id });
      if (payload) clients.set(id, { json: JSON.stringify(payload), until: now().getTime() + clientCacheMs });
      return payload;
    }

    findByUid(uid: string) {
      return this.findWhere({ uid });
    }

    findByUserCode(userCode: string) {
      return this.findWhere({ user_code: userCode });
    }

    async consume(id: string): Promise<void> {
      const batch = batchOf(this.db, this.model);
      if (batch) return defer(batch, { kind: 'consume', model: this.model, id, at: now() });
      await this.db('oidc_models').where({ model: this.model, id }).update({ consumed_at: now() });
    }

    async destroy(id: string): Promise<void> {
      const batch = batchOf(this.db, this.model);
      if (batch) return defer(batch, { kind: 'delete', model: this.model, id });
      await this.db('oidc_models').where({ model: this.model, id }).delete();
      if (this.model === 'Client') clients.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // Whatever the request wrote of the grant so far is written first, and then revoked with it.
      const batch = batchOf(this.db, this.model);
      if (batch) await flushNow(batch);
      await this.db('oidc_models').where({ grant_id: grantId }).delete();
      if (batch) forget(batch);
    }

    private async findWhere(where: { id: string } | { uid: string } | { user_code: string }): Promise<AdapterPayload | undefined> {
      // PostgreSQL text cannot hold NUL, so no stored id has one; asking would be a database error (a 500).
      if (Object.values(where).some((v: string) => v.includes('\u0000'))) return undefined;
      const batch = batchOf(this.db, this.model);
      const seen = batch && !('user_code' in where) ? known(batch, this.model, where) : undefined;
      if (seen !== undefined) return seen ?? undefined;
      return findRow(this.db, batch, this.model, where, now());
    }
  };
}

/**
 * The access generation a login's result was proved in (flows/login/logged-in.ts): its interaction is saved only
 * while the account still has it, so that a password checked just before the owner chose a new one starts nothing.
 */
function heldAccess(payload: AdapterPayload): AccessHeld | undefined {
  const login = payload.result?.login as { accountId?: unknown; accessGeneration?: unknown } | undefined;
  return typeof login?.accountId === 'string' && typeof login.accessGeneration === 'number'
    ? { sub: login.accountId, generation: login.accessGeneration }
    : undefined;
}

/** Deletes expired rows; returns how many. */
export async function purgeExpired(db: Db, now = new Date()): Promise<number> {
  return db('oidc_models').where('expires_at', '<=', now).delete();
}

/**
 * Back-Channel Logout 1.0: each app of the ending sessions that registered a backchannel_logout_uri gets a logout
 * token, one per session, queued in the caller's transaction. Sessions already expired are left out: they ended
 * when they expired, and their rows only wait for the purge.
 */
export async function enqueueLogoutTokens(db: Db, sessions: { payload: unknown; expires_at: Date | string | null }[], now = new Date()): Promise<void> {
  const logouts = sessions
    .filter((s) => !s.expires_at || new Date(s.expires_at) > now)
    .flatMap((s) => {
      const p = fromJsonColumn<AdapterPayload>(s.payload);
      return Object.entries(p.authorizations ?? {}).map(([clientId, a]) => ({ clientId, sub: p.accountId, sid: a.sid }));
    })
    .filter((l): l is { clientId: string; sub: string; sid: string } => Boolean(l.sub && l.sid));
  if (!logouts.length) return;
  const clients: { id: string; payload: unknown }[] = await db('oidc_models')
    .where({ model: 'Client' })
    .whereIn('id', [...new Set(logouts.map((l) => l.clientId))])
    .select('id', 'payload');
  const listening = new Set(clients.filter((c) => fromJsonColumn<AdapterPayload>(c.payload).backchannel_logout_uri).map((c) => c.id));
  for (const logout of logouts) if (listening.has(logout.clientId)) await enqueueLogout(db, logout, now);
}

/**
 * Ends every session, grant and token of an account (password reset, reactivation, block, erasure), and tells the
 * apps of the ended sessions (Back-Channel Logout). `keepSessionUid` spares the session the user is acting from (a
 * password change on their own pages keeps them logged in there, and its apps).
 */
export async function revokeAccount(db: Db, accountId: string, keepSessionUid?: string): Promise<number> {
  // The account's pending logins first, in a statement of their own: a resume that holds one (request-batch.ts) is
  // waited for, and the session it wrote is then seen by the statements below; a resume after finds it gone.
  const interactions = await db('oidc_models').where({ model: 'Interaction', account_id: accountId }).delete();
  const ending = await db('oidc_models')
    .where({ model: 'Session', account_id: accountId })
    .modify((q) => {
      if (keepSessionUid) q.whereNot({ uid: keepSessionUid });
    })
    .select('payload', 'expires_at');
  await enqueueLogoutTokens(db, ending);
  const grants = db('oidc_models').where({ account_id: accountId }).whereNotNull('grant_id').distinct('grant_id');
  const rest = await db('oidc_models')
    .where((q) => q.where({ account_id: accountId }).orWhereIn('grant_id', grants))
    .modify((q) => {
      if (keepSessionUid) q.whereNot((w) => w.where({ model: 'Session', uid: keepSessionUid }));
    })
    .delete();
  return interactions + rest;
}
