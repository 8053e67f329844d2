// What a new password (changed, reset or reactivated), a block or a lock ends, in the caller's transaction: every
// session, grant and token of the account, so that each relying app logs it out; and a pending change of address,
// since whoever asked for it may be why the owner acts, and its link must not hand the account over afterwards.
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { revokeAccount } from '../oidc-models/adapter.ts';
import { EMAIL_CHANGE_PURPOSE } from './email-change.ts';
import { clearPendingContact } from './pending-contacts.ts';

/** `keepSessionUid` spares the session the person acts from (a password change on their own pages). */
export async function endAccountAccess(trx: Knex, tokens: TokenService, user: Pick<User, 'id' | 'sub'>, keepSessionUid?: string): Promise<void> {
  await revokeAccount(trx, user.sub, keepSessionUid);
  await tokens.voidAll(trx, { purpose: EMAIL_CHANGE_PURPOSE, userId: user.id });
  await clearPendingContact(trx, user.id, 'email');
}
