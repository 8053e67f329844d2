// The address or number a user asked to change to, shown on their pages while its link or code is out. The token
// (provider/domain/tokens/one-time.ts) carries the value that will be applied; this row only lets the pages say
// "waiting for verification: …", so it is cleared when the change is applied or abandoned.
import type { Knex } from 'knex';
import type { AlertChannel } from './alerts.ts';

export interface PendingContact {
  value: string;
  expiresAt: Date;
}

export async function setPendingContact(trx: Knex, userId: string, channel: AlertChannel, value: string, expiresAt: Date): Promise<void> {
  await trx('pending_contacts')
    .insert({ user_id: userId, channel, value, expires_at: expiresAt, created_at: new Date() })
    .onConflict(['user_id', 'channel'])
    .merge();
}

export async function clearPendingContact(trx: Knex, userId: string, channel: AlertChannel): Promise<void> {
  await trx('pending_contacts').where({ user_id: userId, channel }).delete();
}

/** The user's live pending changes, by channel. */
export async function pendingContacts(db: Knex, userId: string, now = new Date()): Promise<Partial<Record<AlertChannel, PendingContact>>> {
  const rows: Record<string, unknown>[] = await db('pending_contacts').where({ user_id: userId }).andWhere('expires_at', '>', now);
  return Object.fromEntries(rows.map((r) => [r.channel, { value: r.value as string, expiresAt: new Date(r.expires_at as string) }]));
}
