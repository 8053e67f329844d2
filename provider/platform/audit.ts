// Security events, one row each: who, what, from where. Never a password, token or national number.
import type { Knex } from 'knex';
import { countSecurityEvent } from './metrics/counters.ts';
import { log, requestAddress } from './log.ts';
import { writeLater } from './db/later.ts';

/** A row outside a transaction: an `insert … select`, to which a batched request may add its claims' condition. */
const INSERT = 'insert into audit_log (event, user_id, ip, details, at) select ?, ?::uuid, ?, ?::jsonb, ?::timestamptz';

/**
 * Who acted on a person, for the details of an event recorded under that person's id: a staff member's id, or the
 * command line, which has no account. The person's own export and erasure find such an event by its `user_id`,
 * so the actor never takes that place.
 */
export function actedBy(staffId: string | null | undefined): { by: string } | { via: 'cli' } {
  return staffId ? { by: staffId } : { via: 'cli' };
}

export async function audit(
  db: Knex,
  event: string,
  fields: {
    userId?: string | null;
    ip?: string | null;
    details?: Record<string, unknown>;
    /** In a batched request, written only if its claims are granted (platform/db/later.ts): what the event says happened. */
    claimed?: boolean;
  } = {},
): Promise<void> {
  const ip = fields.ip ?? requestAddress() ?? null;
  const row = { event, user_id: fields.userId ?? null, ip, details: JSON.stringify(fields.details ?? {}), at: new Date() };
  // Inside a transaction the event happened only if it commits: a rolled-back sign-up is neither counted nor logged.
  const happened = () => {
    countSecurityEvent(event, fields.details);
    log.info('security event', { event, userId: fields.userId ?? undefined, ip: ip ?? undefined, details: fields.details });
  };
  const trx = db as Knex.Transaction;
  if (trx.isTransaction) {
    await db('audit_log').insert(row);
    trx.executionPromise.then(happened, () => {});
  } else
    await writeLater(db, {
      sql: INSERT,
      bindings: [row.event, row.user_id, row.ip, row.details, row.at],
      written: happened,
      claimed: fields.claimed ?? false,
    });
}
