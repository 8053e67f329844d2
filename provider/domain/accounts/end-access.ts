// What a new password (changed, reset or reactivated), a block or a lock ends, in the caller's transaction: every
// session, grant and token of the account, so that each relying app logs it out; a pending change of address and
// every reset link mailed before, since whoever asked for them (or holds the old mailbox) may be why the owner acts,
// and their links must not hand the account over afterwards; and the account's device cookies, by moving its device
// generation on (provider/platform/web/devices.ts): a browser that logged in with the old password is unknown again.
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { revokeAccount } from '../oidc-models/adapter.ts';
import { EMAIL_CHANGE_PURPOSE } from './email-change.ts';
import { RESET_PURPOSE } from './reset-link.ts';
import { clearPendingContact } from './pending-contacts.ts';

/**
 * `keepSessionUid` spares the session the person acts from (a password change on their own pages). Resolves to the
 * account's new device generation, for the browser the person acts from to be remembered in.
 */
export async function endAccountAccess(trx: Knex, tokens: TokenService, user: Pick<User, 'id' | 'sub'>, keepSessionUid?: string): Promise<number> {
  const [moved] = await trx('users').where({ id: user.id }).increment('device_generation', 1).returning<Pick<User, 'device_generation'>[]>('device_generation');
  await revokeAccount(trx, user.sub, keepSessionUid);
  await tokens.voidAll(trx, { purpose: EMAIL_CHANGE_PURPOSE, userId: user.id });
  await tokens.voidAll(trx, { purpose: RESET_PURPOSE, userId: user.id });
  await clearPendingContact(trx, user.id, 'email');
  // No row: the account was erased meanwhile, and no browser is known of it any more.
  return moved?.device_generation ?? 0;
}
