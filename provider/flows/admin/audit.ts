// /admin/audit: staff answer "what happened to this person" without SQL. Filters in the query string (a page can be
// bookmarked and shared among staff), pages newest first, and the same selection as JSON lines; each page shown and
// each export is itself audited, since both carry people's addresses (./view-record.ts).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import type { Services } from '../../app/server.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { renderPage } from '../../platform/web/page.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
import { audit } from '../../platform/audit.ts';
import { nationalNumberKey } from '../../domain/accounts/national-number-key.ts';
import { keptText, recordView, VIEWS } from './view-record.ts';
import { auditEventTypes } from '../../platform/audit-trail.ts';
import { allAuditEvents, auditFilterInput, findAuditEvents } from './audit-search.ts';

const FILTERS = ['user', 'type', 'since', 'until'] as const;
// The event types the type filter's hint and error name as examples.
const TYPE_EXAMPLES = { example: 'login.failure', family: 'login.*' };
// Those that find staff's looks at lists, which the trail leaves out without an event filter.
const VIEW_EXAMPLES = { example: VIEWS.search, family: 'admin.*' };

export function auditAdminRoutes(services: Services): Router {
  const { config, db, users } = services;
  const numberKey = nationalNumberKey(config, db);
  const router = createRouter({ prefix: '/admin/audit' });
  router.use(requireUser(services, { role: 'admin' }));

  /** The filters as typed (to show them again) and, when they hold, as parsed. */
  function filtersOf(ctx: Context) {
    const typed = Object.fromEntries(FILTERS.map((k) => [k, typeof ctx.query[k] === 'string' ? ctx.query[k] : ''])) as Record<(typeof FILTERS)[number], string>;
    const parsed = auditFilterInput.safeParse({ ...typed, before: ctx.query.before, limit: ctx.query.limit });
    const errors: FormErrors = parsed.success
      ? {}
      : Object.fromEntries(
          parsed.error.issues.map((i) => [
            String(i.path[0]),
            [{ key: i.message.startsWith('audit.') ? i.message : 'audit.error.value', params: TYPE_EXAMPLES }],
          ]),
        );
    return { typed, parsed, errors };
  }
  /**
   * The filters as a record keeps them: a person named by a national number only by its hash, and an older page by
   * where it starts, so that the record says which events were shown.
   */
  const recorded = async (ctx: Context, typed: Record<string, string>) => ({
    ...typed,
    user: keptText(typed.user ?? '', await numberKey()),
    ...(typeof ctx.query.before === 'string' ? { before: ctx.query.before } : {}),
  });
  const queryOf = (typed: Record<string, string>, extra: Record<string, string> = {}) =>
    new URLSearchParams(Object.entries({ ...typed, ...extra }).filter(([, v]) => v !== '')).toString();

  router.get('/', async (ctx) => {
    const { typed, parsed, errors } = filtersOf(ctx);
    const page = parsed.success ? await findAuditEvents(db, users, parsed.data) : { events: [] };
    if (parsed.success) await recordView(db, ctx, VIEWS.audit, { filters: await recorded(ctx, typed), events: page.events.length });
    const query = queryOf(typed);
    renderPage(ctx, 'pages/admin/audit.njk', {
      titleKey: 'audit.title',
      values: typed,
      errors,
      examples: TYPE_EXAMPLES,
      viewExamples: VIEW_EXAMPLES,
      types: await auditEventTypes(db),
      page,
      olderHref: 'older' in page && page.older ? `/admin/audit?${queryOf(typed, { before: page.older })}` : undefined,
      exportHref: `/admin/audit/export${query ? `?${query}` : ''}`,
    });
  });

  router.get('/export', async (ctx) => {
    const { typed, parsed } = filtersOf(ctx);
    if (!parsed.success) return ctx.redirect(`/admin/audit?${queryOf(typed)}`);
    const staff = ctx.state.user as User;
    await audit(db, 'admin.audit_exported', { userId: staff.id, ip: ctx.ip, details: { filters: await recorded(ctx, typed) } });
    ctx.type = 'application/x-ndjson; charset=utf-8';
    ctx.attachment(`audit-${new Date().toISOString().slice(0, 10)}.jsonl`);
    const lines: string[] = [];
    for await (const e of allAuditEvents(db, users, parsed.data)) lines.push(`${JSON.stringify(e)}\n`);
    ctx.body = lines.join('');
  });

  return router;
}
