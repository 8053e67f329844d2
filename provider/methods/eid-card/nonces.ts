// Web eID challenges: 32 random bytes, kept with the flow they belong to, valid 5 minutes, spent by the first
// answer whatever its outcome (a replayed or late token meets a nonce that is gone, and is told so).
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Flow, FlowStore } from '../../domain/flow-state/store.ts';
import type { Binding } from '../../domain/flow-state/binding.ts';
import { AppError } from '../../platform/errors.ts';

export const NONCE_TTL_SECONDS = 300;
/** The state of a flow whose nonce waits for the card's answer. */
export const AWAITING_CARD = 'awaiting_card';

export interface NonceData extends Record<string, unknown> {
  nonce: string | null;
  nonceExpiresAt: string;
}

export function createNonceService(flows: FlowStore, now: () => Date = () => new Date()) {
  return {
    /** A flow in AWAITING_CARD with a new nonce; the flow outlives the nonce so that a late answer hears "expired". */
    async start<D extends Record<string, unknown>>(
      db: Knex,
      f: { type: string; binding: Binding; userId?: string | null; data: D; ttlSeconds?: number },
    ): Promise<Flow<D & NonceData>> {
      const data = { ...f.data, nonce: randomBytes(32).toString('base64'), nonceExpiresAt: new Date(now().getTime() + NONCE_TTL_SECONDS * 1000).toISOString() };
      return flows.create(db, {
        type: f.type,
        state: AWAITING_CARD,
        binding: f.binding,
        userId: f.userId ?? null,
        data,
        ttlSeconds: f.ttlSeconds ?? NONCE_TTL_SECONDS + 600,
      });
    },

    /** Removes the flow's nonce and moves it to `to`; returns the nonce the card must have signed. */
    async spend<D extends NonceData>(db: Knex, flowId: string, type: string, binding: Binding, to: string): Promise<{ flow: Flow<D>; nonce: string }> {
      const flow = await flows.get<D>(db, flowId, type, binding);
      if (flow.state !== AWAITING_CARD || !flow.data.nonce) throw new AppError('nonce_used', 'eid.error.nonce_used', 409);
      const nonce = flow.data.nonce;
      const spent = await flows.transition(db, flow, AWAITING_CARD, to, { nonce: null } as Partial<D>).catch(() => {
        throw new AppError('nonce_used', 'eid.error.nonce_used', 409);
      });
      if (new Date(flow.data.nonceExpiresAt) <= now()) throw new AppError('nonce_expired', 'eid.error.nonce_expired', 410);
      return { flow: spent, nonce };
    },
  };
}

export type NonceService = ReturnType<typeof createNonceService>;
