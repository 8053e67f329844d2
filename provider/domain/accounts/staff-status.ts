// What staff do to an account's status, from /admin or from `idp users`: block, lock, unblock. Blocked: the holder
// may take the account back with the eID card or an upstream (a lost phone, a suspected intrusion); locked: only
// staff give it back (misuse), the card does not undo it. Both log the person out of every application at once. On the
// pages, blocking or locking an admin also asks for a recent login (provider/flows/admin/routes.ts), as taking the role
// does; the command line is the operator's, and asks nothing.
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

/**
 * Applies `action` to `user` in the caller's transaction; false when the account already was in that state, or is
 * gone. Two changes of one account at once (two staff, a double click) are made one after the other: the second sees
 * the first's.
 */
export async function changeAccountStatus(
  trx: Knex,
  deps: { users: UserRepository; tokens: TokenService },
  user: User,
  action: StaffStatusAction,
  actor: StaffActor,
): Promise<boolean> {
  const { users, tokens } = deps;
  if (!(await users.lock(trx, user.id))) return false;
  const current = (await users.findById(trx, user.id))!;
  const by = actedBy(actor.userId);
  if (action === 'unblock') {
    if (current.status !== 'blocked' && current.status !== 'locked') return false;
    // An account blocked before it was ever activated goes back to waiting for its activation.
    const status = current.email && !current.email_verified ? 'pending' : 'active';
    await users.setStatus(trx, user.id, status);
    await audit(trx, 'admin.unblocked', { userId: user.id, ip: actor.ip, details: { status, ...by } });
    return true;
  }
  const status = action === 'block' ? 'blocked' : 'locked';
  if (current.status === status) return false;
  await users.setStatus(trx, user.id, status);
  await endAccountAccess(trx, tokens, current);
  await audit(trx, `admin.${status}`, { userId: user.id, ip: actor.ip, details: { previous: current.status, ...by } });
  return true;
}

/**
 * For staff acting on another account from the pages, in the caller's transaction: holds the staff member's and the
 * person's rows, in one order, and says whether the staff member is still an admin with an account they can use.
 * Two admins taking each other's role, account or access at once (the role, an erasure, a block or a lock) both
 * passed the check at the request's start, and left nobody to give it back. The second now waits for the first, and
 * finds its own role or account gone. The command line acts as nobody, and needs no such check.
 */
export async function stillAdmin(trx: Knex, users: UserRepository, staffId: string, userId: string): Promise<boolean> {
  await trx('users').whereIn('id', [staffId, userId]).orderBy('id').forUpdate().pluck('id');
  const staff = await users.findById(trx, staffId);
  return Boolean(staff && staff.status === 'active' && staff.roles.includes('admin'));
}
