// The one oidc-provider Adapter: every model it persists (Session, Grant, AuthorizationCode, AccessToken,
// RefreshToken, ClientCredentials, Interaction, Client, ReplayDetection, PushedAuthorizationRequest, …) is a row
// of oidc_models, so all processes on one database act as one provider. Expiry is compared in JS time so that
// tests can move the clock; expired rows are invisible at once and deleted later by `purgeExpired`.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { fromJsonColumn, type Db } from '../db/knex.ts';

const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

export function createAdapterFactory(db: Db, now: () => Date = () => new Date()) {
  return class KnexAdapter implements Adapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const row = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        account_id: payload.accountId ?? null,
        expires_at: expiresIn ? new Date(now().getTime() + expiresIn * 1000) : null,
      };
      await db('oidc_models').insert(row).onConflict(['model', 'id']).merge();
    }

    find(id: string) {
      return this.findWhere({ id });
    }

    findByUid(uid: string) {
      return this.findWhere({ uid });
    }

    findByUserCode(userCode: string) {
      return this.findWhere({ user_code: userCode });
    }

    async consume(id: string): Promise<void> {
      await db('oidc_models').where({ model: this.model, id }).update({ consumed_at: now() });
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_models').where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_models').where({ grant_id: grantId }).delete();
    }

    private async findWhere(where: Record<string, string>): Promise<AdapterPayload | undefined> {
      const row = await db('oidc_models')
        .where({ model: this.model, ...where })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now()))
        .first('payload', 'consumed_at');
      if (!row) return undefined;
      const payload = fromJsonColumn<AdapterPayload>(row.payload);
      return row.consumed_at ? { ...payload, consumed: epoch(new Date(row.consumed_at)) } : payload;
    }
  };
}

/** Deletes expired rows; returns how many. */
export async function purgeExpired(db: Db, now = new Date()): Promise<number> {
  return db('oidc_models').where('expires_at', '<=', now).delete();
}

/**
 * Ends every session, grant and token of an account (password reset, reactivation, block). `keepSessionUid`
 * spares the session the user is acting from (a password change on their own pages keeps them logged in there).
 */
export async function revokeAccount(db: Db, accountId: string, keepSessionUid?: string): Promise<number> {
  const grants = db('oidc_models').where({ account_id: accountId }).whereNotNull('grant_id').distinct('grant_id');
  return db('oidc_models')
    .where((q) => q.where({ account_id: accountId }).orWhereIn('grant_id', grants))
    .modify((q) => {
      if (keepSessionUid) q.whereNot((w) => w.where({ model: 'Session', uid: keepSessionUid }));
    })
    .delete();
}
