// The audit trail as staff read it (`/admin/audit`, `idp audit`): filtered by person, event type and time, newest
// first, paged by the row id so that a page stays the same while new events arrive, and purged after
// AUDIT_RETENTION_DAYS like the outbox.
import type { Knex } from 'knex';

export interface AuditEvent {
  id: string;
  at: Date;
  event: string;
  user_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  /** Events of these accounts only (a username or address can name several where addresses are shared). */
  userIds?: readonly string[];
  /** With userIds: also the events these accounts caused on others' (`details.by`), for staff's search; never for the person's own export. */
  orBy?: boolean;
  /** An event name (`login.failure`), or every event of a family with a trailing dot or star (`login.`, `login.*`). */
  type?: string;
  /** Not these events: staff's own looks at people's data, which would crowd out what happened to them. */
  except?: readonly string[];
  since?: Date;
  until?: Date;
  /** The page after the one that ended with this id. */
  before?: string;
  limit: number;
}

export const AUDIT_PAGE_MAX = 1000;

export async function searchAudit(db: Knex, q: AuditQuery): Promise<AuditEvent[]> {
  const rows = await db('audit_log')
    .modify((b) => {
      if (q.userIds) {
        const ids = q.userIds.length ? [...q.userIds] : ['00000000-0000-0000-0000-000000000000'];
        b.where((w) => {
          w.whereIn('user_id', ids);
          if (q.orBy) w.orWhereRaw(`details->>'by' in (${ids.map(() => '?').join(', ')})`, ids);
        });
      }
      if (q.type) {
        const family = /^(.*\.)\*?$/.exec(q.type)?.[1];
        // LIKE's own wildcards in a typed name are matched as themselves.
        if (family) b.where('event', 'like', `${family.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        else b.where('event', q.type);
      }
      if (q.except?.length) b.whereNotIn('event', q.except);
      if (q.since) b.where('at', '>=', q.since);
      if (q.until) b.where('at', '<', q.until);
      if (q.before) b.where('id', '<', q.before);
    })
    .orderBy('id', 'desc')
    .limit(Math.min(q.limit, AUDIT_PAGE_MAX))
    .select('id', 'at', 'event', 'user_id', 'ip', 'details');
  return (rows as (Omit<AuditEvent, 'id' | 'details'> & { id: string | number; details: unknown })[]).map((r) => ({
    ...r,
    id: String(r.id),
    at: new Date(r.at),
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));
}

/** Every matching event, newest first, a page of the largest size at a time: for what must not stop at one page. */
export async function* auditPages(db: Knex, q: Omit<AuditQuery, 'limit'>): AsyncGenerator<AuditEvent[]> {
  for (let before = q.before; ;) {
    const page = await searchAudit(db, { ...q, before, limit: AUDIT_PAGE_MAX });
    if (page.length) yield page;
    if (page.length < AUDIT_PAGE_MAX) return;
    before = page.at(-1)!.id;
  }
}

/** The event names recorded so far, for the type filter's choices. */
export async function auditEventTypes(db: Knex): Promise<string[]> {
  return (await db('audit_log').distinct('event').orderBy('event')).map((r: { event: string }) => r.event);
}

/** Deletes events older than `retentionDays`; returns how many went. */
export async function purgeAudit(db: Knex, retentionDays: number, now = new Date()): Promise<number> {
  return db('audit_log')
    .where('at', '<', new Date(now.getTime() - retentionDays * 86_400_000))
    .delete();
}
