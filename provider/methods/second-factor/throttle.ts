// One throttle for every second factor of a login, counted per account: wrong codes and refused passkeys add up, as
// wrong passwords do at the first step (provider/domain/guards/throttle.ts).
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { codeEntryThrottle } from '../../domain/guards/throttle.ts';

export function secondFactorThrottle(db: Db, config: Pick<Config, 'rateLimitLogin' | 'rateLimitIp' | 'rateLimitMaxDelay'>) {
  const throttle = codeEntryThrottle(db, config, 'second_factor');
  return {
    guard: <T>(user: User, ip: string | undefined, check: () => Promise<T>, succeeded: (result: T) => boolean) =>
      throttle.guard({ subject: `account:${user.id}`, ip }, check, succeeded),
  };
}
