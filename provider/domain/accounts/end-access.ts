// What a new password (changed, reset or reactivated), a block or a lock ends, in the caller's transaction: every
// session, grant and token of the account, so that each relying app logs it out; a pending change of address and
// every reset link mailed before, since whoever asked for them (or holds the old mailbox) may be why the owner acts,
// and their links must not hand the account over afterwards; and, by moving the account's access generation on, its
// device cookies (a browser that logged in with the old password is unknown again) and any login's first step that
// waits for its second (proved with the old password).
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { revokeAccount } from '../oidc-models/adapter.ts';
import { EMAIL_CHANGE_PURPOSE } from './email-change.ts';
import { RESET_PURPOSE } from './reset-link.ts';
import { clearPendingContact } from './pending-contacts.ts';

/**
 * `keepSessionUid` spares the session the person acts from (a password change on their own pages). Resolves to the
 * account's new access generation, for the browser the person acts from to be remembered in.
 */
export async function endAccountAccess(trx: Knex, tokens: TokenService, user: Pick<User, 'id' | 'sub'>, keepSessionUid?: string): Promise<number> {
  const [moved] = await trx('users').where({ id: user.id }).increment('access_generation', 1).returning<Pick<User, 'access_generation'>[]>('access_generation');
  await revokeAccount(trx, user.sub, keepSessionUid);
  await tokens.voidAll(trx, { purpose: EMAIL_CHANGE_PURPOSE, userId: user.id });
  await tokens.voidAll(trx, { purpose: RESET_PURPOSE, userId: user.id });
  await clearPendingContact(trx, user.id, 'email');
  // No row: the account was erased meanwhile, and no browser is known of it any more.
  return moved?.access_generation ?? 0;
}
