// What staff do to an account's status, from /admin or from `idp users`: block, lock, unblock. Blocked: the holder
// may take the account back with the eID card or an upstream (a lost phone, a suspected intrusion); locked: only
// staff give it back (misuse), the card does not undo it. Both log the person out of every application at once.
import type { Knex } from 'knex';
import type { TokenService } from '../tokens/one-time.ts';
import type { User, UserRepository } from './repository.ts';
import { endAccountAccess } from './end-access.ts';
import { actedBy, audit } from '../../platform/audit.ts';

export type StaffStatusAction = 'block' | 'lock' | 'unblock';

/** Who acts: an admin on the pages (their account, their IP), or the command line (neither). */
export interface StaffActor {
  userId?: string | undefined;
  ip?: string | undefined;
}

/** Applies `action` to `user`; false when the account already was in that state. */
export async function changeAccountStatus(
  deps: { db: Knex; users: UserRepository; tokens: TokenService },
  user: User,
  action: StaffStatusAction,
  actor: StaffActor,
): Promise<boolean> {
  const { db, users, tokens } = deps;
  const by = actedBy(actor.userId);
  if (action === 'unblock') {
    if (user.status !== 'blocked' && user.status !== 'locked') return false;
    // An account blocked before it was ever activated goes back to waiting for its activation.
    const status = user.email && !user.email_verified ? 'pending' : 'active';
    await db.transaction(async (trx) => {
      await users.setStatus(trx, user.id, status);
      await audit(trx, 'admin.unblocked', { userId: user.id, ip: actor.ip, details: { status, ...by } });
    });
    return true;
  }
  const status = action === 'block' ? 'blocked' : 'locked';
  if (user.status === status) return false;
  await db.transaction(async (trx) => {
    await users.setStatus(trx, user.id, status);
    await endAccountAccess(trx, tokens, user);
    await audit(trx, `admin.${status}`, { userId: user.id, ip: actor.ip, details: { previous: user.status, ...by } });
  });
  return true;
}
