// eID links and consents. A card is found by the HMAC of its holder's national number; one card per account and
// one account per card.
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.ts';
import type { User, UserRepository } from './repository.ts';

export { formatCardNumber } from '../../../card-bridge/contract/card-number.ts';

/** What a consent page lists and the consent row records: exactly what the provider takes from the card. */
export const DATA_SHARED = ['name', 'national_number', 'card_number'] as const;

export type ConsentPurpose = 'link' | 'reactivation' | 'registration';

export interface EidLink {
  user_id: string;
  national_number_hmac: string;
  card_number: string | null;
  linked_at: Date;
  verified_at: Date;
}

export const findLinkByHmac = (db: Knex, hmac: string): Promise<EidLink | undefined> => db('eid_links').where({ national_number_hmac: hmac }).first();

/** The account the card (the HMAC of its holder's national number) is linked to, if any. */
export async function accountOfCard(db: Knex, users: UserRepository, hmac: string): Promise<User | undefined> {
  const link = await findLinkByHmac(db, hmac);
  return link ? users.findById(db, link.user_id) : undefined;
}

export const findLinkOfUser = (db: Knex, userId: string): Promise<EidLink | undefined> => db('eid_links').where({ user_id: userId }).first();

/**
 * Links the card to the account (or records the card it was verified with now); refuses a card linked elsewhere. An
 * unknown card number (a card read without its identity objects) is stored as unknown, not kept from an older card.
 */
export async function saveLink(trx: Knex, l: { userId: string; hmac: string; cardNumber: string | undefined }, now = new Date()): Promise<void> {
  const other = await findLinkByHmac(trx, l.hmac);
  if (other && other.user_id !== l.userId) throw new AppError('eid_linked_elsewhere', 'eid.error.linked_elsewhere', 409);
  await trx('eid_links')
    .insert({ user_id: l.userId, national_number_hmac: l.hmac, card_number: l.cardNumber ?? null, linked_at: now, verified_at: now })
    .onConflict('user_id')
    .merge({ national_number_hmac: l.hmac, card_number: l.cardNumber ?? null, verified_at: now });
}

export async function recordConsent(trx: Knex, c: { userId: string; purpose: ConsentPurpose }, now = new Date()): Promise<void> {
  await trx('eid_consents').insert({ user_id: c.userId, purpose: c.purpose, data_shared: JSON.stringify(DATA_SHARED), consented_at: now });
}
