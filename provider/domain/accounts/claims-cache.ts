// The accounts oidc-provider reads for claims, kept a few seconds per process. A refresh, a userinfo request and the
// code exchange each read the account behind the token; the same account is read again and again while its apps
// are busy. What may be stale is bounded by ACCOUNT_CACHE_SECONDS: a changed name or address reaches the apps within
// it. A blocked or deleted account loses nothing to it: ending its access deletes its sessions and tokens, which are
// never kept across requests, so its next request fails at its token whatever the account here says.
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from './repository.ts';

/** Enough for every account active within seconds on a busy provider; the oldest entry goes first beyond it. */
const MAX_ENTRIES = 10_000;

export function createClaimsCache(users: Pick<UserRepository, 'findBySub'>, ttlMs: number, clock = Date.now) {
  const entries = new Map<string, { user: User | undefined; until: number }>();
  return async function findForClaims(db: Db, sub: string): Promise<User | undefined> {
    const entry = entries.get(sub);
    if (entry && entry.until > clock()) return entry.user;
    const user = await users.findBySub(db, sub);
    if (!ttlMs) return user;
    entries.delete(sub);
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(sub, { user, until: clock() + ttlMs });
    return user;
  };
}
