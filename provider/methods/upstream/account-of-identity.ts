// The account an upstream identity names, and whether that identity may stand in for the account's eID card.
import type { Knex } from 'knex';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { accountOfCard } from '../../domain/accounts/eid-links.ts';
import { findLink, linkVouches, type Upstream } from '../../domain/upstreams/repository.ts';
import type { UpstreamIdentity } from './identity.ts';

/**
 * The account an upstream identity names: the one it was linked to; or, from an upstream staff trust with the
 * national number (`--trust-national-number`), the account whose eID card holds the number it states. That is full
 * trust in the upstream (it could name anyone's number), so it is off unless staff turn it on.
 * `vouches`: the identity may stand in for the card at the account's reactivation. The trusted number does, as the
 * card would; a link does when the account was made from the identity, not when a login to the account linked it:
 * an intruder with the password linked his own bank, and took the account back after staff blocked it (a second
 * factor would not tell: he can add his own with the password, where the account has none).
 */
export async function accountOfIdentity(
  db: Knex,
  users: Services['users'],
  u: Upstream,
  identity: UpstreamIdentity,
): Promise<{ user: User | undefined; vouches: boolean }> {
  // The card's account is read only where it can matter: with no link, or a link that does not vouch by itself.
  const byNumber = () =>
    identity.nationalNumberHmac && u.trustNationalNumber ? accountOfCard(db, users, identity.nationalNumberHmac) : Promise.resolve(undefined);
  const link = await findLink(db, u.slug, identity.subjectKey);
  if (!link) {
    const card = await byNumber();
    return { user: card, vouches: Boolean(card) };
  }
  const user = await users.findById(db, link.user_id);
  return { user, vouches: linkVouches(link) || (await byNumber())?.id === link.user_id };
}
