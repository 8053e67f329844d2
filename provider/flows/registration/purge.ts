// Sign-ups that were never activated are deleted some days after their last activation link expired: the person
// could ask for a new mail all along, and keeping a name and an address longer would keep personal data for no
// purpose. An invitation whose pending account goes is issued again, so its slip still works; a customer record
// is freed by the foreign key (SET NULL).
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { UserRepository } from '../../domain/accounts/repository.ts';
import { invitations } from '../../domain/invitations/repository.ts';
import { audit } from '../../platform/audit.ts';

export async function purgeUnactivated(
  db: Db,
  users: UserRepository,
  config: Pick<Config, 'activationTtl' | 'pendingAccountDays'>,
  now = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - (config.activationTtl + config.pendingAccountDays * 86400) * 1000);
  return db.transaction(async (trx) => {
    const ids = await users.stalePending(trx, before);
    if (!ids.length) return 0;
    await invitations.reissue(trx, ids);
    const n = await users.deletePending(trx, ids);
    await audit(trx, 'registration.purged', { details: { accounts: n, days: config.pendingAccountDays } });
    return n;
  });
}
