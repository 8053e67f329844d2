// Self-service flows as stored objects (id, type, state, expiry, data), in the manner of Ory Kratos: a browser
// or a CLI can resume a flow on any process, and a state change names the state it expects, so a replayed
// request cannot move a flow twice. Every flow is bound to whoever started it (./binding.ts): reading it takes
// the reader's binding, and a flow of someone else is refused as if it were not there for them.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.ts';
import { fromJsonColumn } from '../../platform/db/knex.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { sameBinding, type Binding } from './binding.ts';
import { audit } from '../../platform/audit.ts';
import { release, takeHold } from '../guards/attempt-counts.ts';
import { consumeWithin, createLimiter } from '../guards/rate-limit.ts';
import { writeNow } from '../../platform/db/later.ts';
import { clientAddressKey, keyOf } from '../guards/throttle.ts';
import { requestAddress } from '../../platform/log.ts';

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

/** `flow.opened_elsewhere` rows one reading address may cause per hour. A person opens a link sent to her a few times. */
const ELSEWHERE_AUDITS_PER_HOUR = 10;

/**
 * Whether this reading of flow `id` by another browser is audited: the first from its address (so that a reading of
 * the starter's own, without the cookie, cannot hide the victim's). A flow that names an account always is; others
 * within the address's allowance, which anyone can spend with flows of his own. Past it a reading is not held, so
 * that the same flow read after the hour is audited, and the address's first reading past it says so in one row.
 */
async function auditedElsewhere(db: Knex, id: string, lifeMs: number, namesAccount: boolean): Promise<boolean> {
  const address = requestAddress();
  const from = address ? keyOf(clientAddressKey(address)) : 'none';
  const hold = `flow_elsewhere:${id}:${from}`;
  // An expired flow waiting for its purge is held a minute at a time.
  if (!(await takeHold(db, hold, Math.max(lifeMs, 60_000)))) return false;
  if (!address || namesAccount) return true;
  // One point more than the allowance: the reading that takes it is the one that says the allowance ran out.
  const readings = createLimiter(db, { keyPrefix: 'flow_elsewhere_ip', points: ELSEWHERE_AUDITS_PER_HOUR + 1, durationSeconds: 3600 });
  const counted = (await consumeWithin(readings, from))?.consumedPoints;
  if (counted !== undefined && counted <= ELSEWHERE_AUDITS_PER_HOUR) return true;
  await writeNow(db, release({ remove: [hold] }));
  if (counted !== undefined) await audit(db, 'flow.opened_elsewhere_unaudited', { details: { per_hour: ELSEWHERE_AUDITS_PER_HOUR } });
  return false;
}

export function createFlowStore(now: () => Date = () => new Date()) {
  const parse = <D>(row: any): Flow<D> => ({ ...row, data: fromJsonColumn<D>(row.data) });

  return {
    async create<D extends Record<string, unknown>>(
      db: Knex,
      f: { type: string; state: string; binding: Binding; userId?: string | null; data?: D; ttlSeconds: number },
    ): Promise<Flow<D>> {
      const row = {
        id: randomUUID(),
        type: f.type,
        state: f.state,
        user_id: f.userId ?? null,
        binding: f.binding,
        data: JSON.stringify(f.data ?? {}),
        expires_at: new Date(now().getTime() + f.ttlSeconds * 1000),
        created_at: now(),
        updated_at: now(),
      };
      await db('self_service_flows').insert(row);
      const { binding: _binding, ...flow } = row;
      return parse<D>({ ...flow, data: f.data ?? {} });
    },

    /**
     * The live flow of that type started by `binding`'s holder, or an AppError saying it is unknown, has expired or
     * was started elsewhere (audited, see below; the page never says whose flow it is).
     */
    async get<D = Record<string, unknown>>(db: Knex, id: string, type: string, binding: Binding): Promise<Flow<D>> {
      const valid = isUuid(id);
      const row = valid ? await db('self_service_flows').where({ id, type }).first() : undefined;
      if (!row) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
      if (!sameBinding(row.binding, binding)) {
        // A flow id that reached another browser is how a takeover by a sent link starts: staff should see it, but
        // anyone can start flows of his own and read them without their cookie, and each row is kept for the audit's
        // retention (auditedElsewhere).
        if (await auditedElsewhere(db, row.id, new Date(row.expires_at).getTime() - now().getTime(), row.user_id !== null))
          await audit(db, 'flow.opened_elsewhere', { userId: row.user_id, details: { flow: row.id, type } });
        throw new AppError('flow_elsewhere', 'error.flow_elsewhere', 403);
      }
      if (new Date(row.expires_at) <= now()) throw new AppError('flow_expired', 'error.flow_expired', 410);
      const { binding: _binding, ...flow } = row;
      return parse<D>(flow);
    },

    /** Moves a flow from `from` to `to`; throws when another request moved it first. */
    async transition<D extends Record<string, unknown>>(
      db: Knex,
      flow: Flow<D>,
      from: string,
      to: string,
      data?: Partial<D>,
      userId?: string | null,
    ): Promise<Flow<D>> {
      const merged = { ...flow.data, ...data } as D;
      const n = await db('self_service_flows')
        .where({ id: flow.id, state: from })
        .update({ state: to, data: JSON.stringify(merged), updated_at: now(), ...(userId !== undefined ? { user_id: userId } : {}) });
      if (n !== 1) throw new AppError('flow_conflict', 'error.flow_conflict', 409);
      return { ...flow, state: to, data: merged, user_id: userId !== undefined ? userId : flow.user_id };
    },

    /** Deletes flows once expired: a late request is told "no longer valid", which is all an expired flow could say. */
    async purge(db: Knex): Promise<number> {
      return db('self_service_flows').where('expires_at', '<', now()).delete();
    },
  };
}

export type FlowStore = ReturnType<typeof createFlowStore>;
