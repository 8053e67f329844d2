// A person deletes their own account: the request waits ACCOUNT_DELETION_DAYS, so that a stolen session or a
// moment's anger is not final; any login before then takes it back, and the purge erases what is due.
import type { Knex } from 'knex';
import { localeOf, type User, type UserRepository } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { endAccountAccess } from './end-access.ts';
import { eraseAccount } from './personal-data.ts';
import { enqueueNotice } from '../messaging/notice.ts';
import { dayIn, type Locale } from '../../platform/web/i18n.ts';
import { audit } from '../../platform/audit.ts';

interface Deps {
  db: Knex;
  users: UserRepository;
  tokens: TokenService;
  days: number;
  defaultLocale: Locale;
}

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

export function createAccountDeletion(deps: Deps) {
  const { db, users, tokens, days } = deps;

  return {
    /** Schedules the erasure (or erases at once with 0 days) and logs the account out everywhere; returns the day. */
    async request(user: User, ip: string, now = new Date()): Promise<Date> {
      const due = new Date(now.getTime() + days * 86_400_000);
      await db.transaction(async (trx) => {
        if (!days) return void (await eraseAccount(trx, { users, tokens }, user, 'self'));
        await users.scheduleDeletion(trx, user.id, due);
        await endAccountAccess(trx, tokens, user);
        await audit(trx, 'account.deletion_requested', { userId: user.id, ip, details: { due: dayOf(due) } });
        await enqueueNotice(trx, user, localeOf(user, deps.defaultLocale), {
          title: { key: 'account.delete.mail.title' },
          paragraphs: [{ key: 'account.delete.mail.when', params: { date: dayIn(due) } }, { key: 'account.delete.mail.cancel' }],
        });
      });
      return due;
    },

    /** A login proves the person still wants the account: a waiting deletion is cancelled, and they are told. */
    async cancelOnLogin(user: User, ip: string | undefined): Promise<void> {
      if (!user.deletion_due_at) return;
      await db.transaction(async (trx) => {
        await users.scheduleDeletion(trx, user.id, null);
        await audit(trx, 'account.deletion_cancelled', { userId: user.id, ip });
        await enqueueNotice(trx, user, localeOf(user, deps.defaultLocale), {
          title: { key: 'account.delete.cancelled.title' },
          paragraphs: [{ key: 'account.delete.cancelled.body' }],
        });
      });
    },

    /** Erases every account whose grace period has ended; returns how many. */
    async purgeDue(now = new Date()): Promise<number> {
      let erased = 0;
      for (const user of await users.dueForDeletion(db, now)) if (await db.transaction((trx) => eraseAccount(trx, { users, tokens }, user, 'self'))) erased++;
      return erased;
    },
  };
}

export type AccountDeletion = ReturnType<typeof createAccountDeletion>;
