// Erasing a person (GDPR art. 17): nothing of them stays, save the audit record of the erasure under the account's id
// (and staff's admin.deleted beside it), which names nobody once the account row is gone. Every event about the
// person is under that id, staff's actions on them too (platform/audit.ts, actedBy), so all of them go here. What
// they can take first is flows/account/personal-data.ts.
import type { Knex } from 'knex';
import type { User, UserRepository } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { endAccountAccess } from './end-access.ts';
import { audit } from '../../platform/audit.ts';

/**
 * Erases an account in the caller's transaction: its sessions and tokens end, every row about it goes (the ones
 * the database does not cascade: mails and SMS still in the outbox or kept as sent, one-time tokens, flows, the
 * audit trail's events with their addresses, the browsers and addresses its sessions were used from), what staff
 * imported about it is cut loose, and one pseudonymous record says that it happened. False when the account was
 * already erased.
 */
export async function eraseAccount(
  trx: Knex,
  deps: { tokens: TokenService; users: UserRepository },
  user: User,
  by: 'self' | 'staff' | 'cli',
): Promise<boolean> {
  // Erasures of one account at the same moment (two staff, a double click, the purge of every worker of a cluster):
  // each after the first waits here, then finds nothing left: the apps get one logout token, the trail one record.
  if (!(await deps.users.lock(trx, user.id))) return false;
  await endAccountAccess(trx, deps.tokens, user);
  const recipients = [user.email, user.phone_number].filter((r): r is string => Boolean(r));
  await trx('outbox')
    .where({ user_id: user.id })
    .modify((q) => {
      if (recipients.length) q.orWhereIn('recipient', recipients);
    })
    .delete();
  await trx('one_time_tokens').where({ user_id: user.id }).delete();
  await trx('self_service_flows').where({ user_id: user.id }).delete();
  await trx('audit_log').where({ user_id: user.id }).delete();
  // The browsers and addresses of the sessions just ended would wait for the next purge; erased, they go now.
  await trx('session_devices').where({ account_id: user.sub }).delete();
  // Staff's own records stay (a school's list, a customer file), without the account or the address it gave.
  await trx('invitations').where({ user_id: user.id }).update({ user_id: null, email: null });
  await trx('customers').where({ user_id: user.id }).update({ user_id: null });
  await deps.users.delete(trx, user.id);
  await audit(trx, 'account.deleted', { userId: user.id, details: { by } });
  return true;
}
