// The passkeys of each account: the public key and signature counter that verify its logins, and what the security
// page shows (the name the person gave it, when it was made and last used). The only code that queries `passkeys`.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { fromJsonColumn } from '../../platform/db/knex.ts';
import { isUuid } from '../../platform/db/uuid.ts';

export interface Passkey {
  id: string;
  user_id: string;
  /** base64url, as WebAuthn names the credential. */
  credential_id: string;
  public_key: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  /** May be synced to other devices (a multi-device credential)… */
  backup_eligible: boolean;
  /** …and is, as of its last use. */
  backed_up: boolean;
  aaguid: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export type NewPasskey = Omit<Passkey, 'id' | 'created_at' | 'last_used_at'>;

const parse = (row: any): Passkey => ({
  ...row,
  public_key: new Uint8Array(row.public_key as Buffer),
  counter: Number(row.counter),
  transports: fromJsonColumn<string[]>(row.transports),
});

export async function addPasskey(db: Knex, p: NewPasskey, now = new Date()): Promise<Passkey> {
  const row = { ...p, id: randomUUID(), public_key: Buffer.from(p.public_key), transports: JSON.stringify(p.transports), created_at: now, last_used_at: null };
  await db('passkeys').insert(row);
  return { ...p, id: row.id, created_at: now, last_used_at: null };
}

/** The account's passkeys, oldest first. */
export async function passkeysOf(db: Knex, userId: string): Promise<Passkey[]> {
  return (await db('passkeys').where({ user_id: userId }).orderBy('created_at')).map(parse);
}

export async function findPasskeyByCredentialId(db: Knex, credentialId: string): Promise<Passkey | undefined> {
  const row = await db('passkeys').where({ credential_id: credentialId }).first();
  return row ? parse(row) : undefined;
}

/**
 * Records a verified login: the new counter, but only over the one it was checked against, so that two logins
 * racing with the same counter cannot both be accepted. False when another login moved it first.
 */
export async function recordPasskeyUse(db: Knex, p: Passkey, use: { counter: number; backedUp: boolean }, now = new Date()): Promise<boolean> {
  const n = await db('passkeys').where({ id: p.id, counter: p.counter }).update({ counter: use.counter, backed_up: use.backedUp, last_used_at: now });
  return n === 1;
}

/** Removes every passkey of the account (a reactivation: whoever blocked it may have added one); how many. */
export async function removeAllPasskeys(db: Knex, userId: string): Promise<number> {
  return db('passkeys').where({ user_id: userId }).delete();
}

/** Removes one of the account's passkeys; the removed one, or undefined when the account has no such passkey. */
export async function removePasskey(db: Knex, userId: string, id: string): Promise<Passkey | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db('passkeys').where({ id, user_id: userId }).delete().returning('*');
  return row ? parse(row) : undefined;
}
