// Self-service flows as stored objects (id, type, state, expiry, data), in the manner of Ory Kratos: a browser
// or a CLI can resume a flow on any process, and a state change names the state it expects, so a replayed
// request cannot move a flow twice.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../errors.ts';
import { fromJsonColumn } from '../db/knex.ts';
import { isUuid } from '../db/uuid.ts';

export interface Flow<D = Record<string, unknown>> {
  id: string;
  type: string;
  state: string;
  user_id: string | null;
  data: D;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export function createFlowStore(now: () => Date = () => new Date()) {
  const parse = <D>(row: any): Flow<D> => ({ ...row, data: fromJsonColumn<D>(row.data) });

  return {
    async create<D extends Record<string, unknown>>(db: Knex, f: { type: string; state: string; userId?: string | null; data?: D; ttlSeconds: number }): Promise<Flow<D>> {
      const row = {
        id: randomUUID(),
        type: f.type,
        state: f.state,
        user_id: f.userId ?? null,
        data: JSON.stringify(f.data ?? {}),
        expires_at: new Date(now().getTime() + f.ttlSeconds * 1000),
        created_at: now(),
        updated_at: now(),
      };
      await db('self_service_flows').insert(row);
      return parse<D>({ ...row, data: f.data ?? {} });
    },

    /** The live flow of that type, or an AppError saying it is unknown or has expired. */
    async get<D = Record<string, unknown>>(db: Knex, id: string, type: string): Promise<Flow<D>> {
      const valid = isUuid(id);
      const row = valid ? await db('self_service_flows').where({ id, type }).first() : undefined;
      if (!row) throw new AppError('flow_unknown', 'This page is no longer valid. Start again.', 404);
      if (new Date(row.expires_at) <= now()) throw new AppError('flow_expired', 'This step took too long and has expired. Start again.', 410);
      return parse<D>(row);
    },

    /** Moves a flow from `from` to `to`; throws when another request moved it first. */
    async transition<D extends Record<string, unknown>>(db: Knex, flow: Flow<D>, from: string, to: string, data?: Partial<D>, userId?: string | null): Promise<Flow<D>> {
      const merged = { ...flow.data, ...data } as D;
      const n = await db('self_service_flows')
        .where({ id: flow.id, state: from })
        .update({ state: to, data: JSON.stringify(merged), updated_at: now(), ...(userId !== undefined ? { user_id: userId } : {}) });
      if (n !== 1) throw new AppError('flow_conflict', 'This step was already completed. Start again if needed.', 409);
      return { ...flow, state: to, data: merged, user_id: userId !== undefined ? userId : flow.user_id };
    },

    async purge(db: Knex, keepDays = 7): Promise<number> {
      return db('self_service_flows').where('expires_at', '<', new Date(now().getTime() - keepDays * 86400_000)).delete();
    },
  };
}

export type FlowStore = ReturnType<typeof createFlowStore>;
