// What staff ask of the audit trail, from the page or the CLI: one input schema for both, the person named by
// username or address, and each event with the account it concerns.
import { z } from 'zod';
import type { Knex } from 'knex';
import type { UserRepository } from '../../domain/accounts/repository.ts';
import { parseTimestamp, startOfDayIn } from '../../platform/web/i18n.ts';
import { AUDIT_PAGE_MAX, auditPages, searchAudit, type AuditEvent, type AuditQuery } from '../../platform/audit-trail.ts';
import { LIST_VIEWS } from './view-record.ts';

const when = (bound: 'start' | 'end') =>
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      // A bare date is the whole day in TIME_ZONE, the zone the times are printed in: from its first moment, or up to
      // the next day's.
      const day = /^\d{4}-\d{2}-\d{2}$/.test(s);
      const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const t = day ? startOfDayIn(s) && startOfDayIn(bound === 'end' ? next(s) : s) : parseTimestamp(s);
      if (!t) {
        ctx.addIssue({ code: 'custom', message: 'audit.error.date' });
        return z.NEVER;
      }
      return t;
    });

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const auditFilterInput = z.object({
  user: optional(z.string().trim().max(320)),
  type: optional(
    z
      .string()
      .trim()
      .max(100)
      .regex(/^[a-z_]+(\.[a-z_]+)*(\.\*?)?$/, 'audit.error.type'),
  ),
  since: optional(when('start')),
  until: optional(when('end')),
  before: optional(z.string().regex(/^\d{1,18}$/, 'audit.error.page')),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
});
export type AuditFilter = z.infer<typeof auditFilterInput>;

export interface AuditLine {
  id: string;
  at: string;
  event: string;
  user: { id: string; username: string | null; email: string | null } | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  events: AuditLine[];
  /** The `before` of the next, older page; absent on the last. */
  older?: string;
  /** A person was named and no account has that username or address. */
  unknownUser?: boolean;
}

/** The accounts a filter names (a username, or an address several may share); undefined when it names none. */
async function accountsNamed(db: Knex, users: UserRepository, name: string | undefined): Promise<string[] | undefined> {
  return name ? (await users.findByIdentifier(db, name, 'username_or_email')).map((u) => u.id) : undefined;
}

/** The query of a filter: staff's looks at lists only when an event filter asks for them (./view-record.ts). */
const queryOf = (userIds: string[] | undefined, f: Omit<AuditFilter, 'limit'>): Omit<AuditQuery, 'limit'> => ({
  userIds,
  orBy: true,
  type: f.type,
  except: f.type ? undefined : LIST_VIEWS,
  since: f.since,
  until: f.until,
  before: f.before,
});

export async function findAuditEvents(db: Knex, users: UserRepository, f: AuditFilter): Promise<AuditPage> {
  const userIds = await accountsNamed(db, users, f.user);
  if (userIds?.length === 0) return { events: [], unknownUser: true };
  // One row more than asked says whether an older page exists.
  const rows = await searchAudit(db, { ...queryOf(userIds, f), limit: f.limit + 1 });
  const page = rows.slice(0, f.limit);
  return { events: await withAccounts(db, users, page), ...(rows.length > f.limit ? { older: page.at(-1)!.id } : {}) };
}

async function withAccounts(db: Knex, users: UserRepository, events: AuditEvent[]): Promise<AuditLine[]> {
  const accounts = new Map(
    (
      await users.findByIds(
        db,
        events.flatMap((e) => (e.user_id ? [e.user_id] : [])),
      )
    ).map((u) => [u.id, u]),
  );
  return events.map((e) => {
    const u = e.user_id ? accounts.get(e.user_id) : undefined;
    return {
      id: e.id,
      at: e.at.toISOString(),
      event: e.event,
      // An erased account keeps its events under its id alone.
      user: e.user_id ? { id: e.user_id, username: u?.username ?? null, email: u?.email ?? null } : null,
      ip: e.ip,
      details: e.details,
    };
  });
}

/** Every matching event older than `before` (all of them without it), for an export: nothing when the person is unknown. */
export async function* allAuditEvents(db: Knex, users: UserRepository, f: Omit<AuditFilter, 'limit'>): AsyncGenerator<AuditLine> {
  const userIds = await accountsNamed(db, users, f.user);
  if (userIds?.length === 0) return;
  for await (const page of auditPages(db, queryOf(userIds, f))) yield* await withAccounts(db, users, page);
}
