// Security events, one row each: who, what, from where. Never a password, token or national number.
import type { Knex } from 'knex';

export async function audit(
  db: Knex,
  event: string,
  fields: { userId?: string | null; ip?: string | null; details?: Record<string, unknown> } = {},
): Promise<void> {
  await db('audit_log').insert({
    event,
    user_id: fields.userId ?? null,
    ip: fields.ip ?? null,
    details: JSON.stringify(fields.details ?? {}),
    at: new Date(),
  });
}
