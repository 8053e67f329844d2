// `idp audit`: the audit trail /admin/audit shows, in a terminal; --json prints JSON lines, as the page exports.
import { formatTimestamp, translate } from '../../../platform/web/i18n.ts';
import { allAuditEvents, auditFilterInput, findAuditEvents, type AuditLine } from '../../../flows/admin/audit-search.ts';
import { AUDIT_PAGE_MAX } from '../../../platform/audit-trail.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../io.ts';
import { action, type CommandSpec } from '../spec.ts';

const line = (e: AuditLine) =>
  [formatTimestamp(e.at), e.event, e.user ? (e.user.username ?? e.user.email ?? e.user.id) : '-', e.ip ?? '-', JSON.stringify(e.details)].join('  ');

export const audit: CommandSpec<CommandContext> = {
  summary: 'the audit trail: security events, newest first',
  action: action({
    summary: 'Prints security events, newest first: filtered by person, event and time; JSON lines with --json.',
    options: {
      user: { type: 'string', arg: 'USERNAME|EMAIL', help: "only this person's events" },
      type: { type: 'string', arg: 'EVENT', help: 'one event (login.failure) or a family (login.*)' },
      since: {
        type: 'string',
        arg: 'ISO',
        help: 'from this date, or this time (2026-12-01, 2026-12-01T09:00 in TIME_ZONE, 2026-12-01T08:00Z, or as printed: "2026-12-01 09:00:00 +01:00")',
      },
      until: { type: 'string', arg: 'ISO', help: 'before this time; a date includes its whole day' },
      before: { type: 'string', arg: 'ID', help: 'only events older than the one with this id: the next page, as the line under a page names it' },
      limit: { type: 'string', arg: 'N', help: 'at most N events (default 50; with --json, every match)' },
      json: { type: 'boolean', help: 'print one JSON object per line, as the export of /admin/audit' },
    },
    async run({ values }, { io, services }: CommandContext) {
      const parsed = auditFilterInput.safeParse({ ...values, json: undefined });
      if (!parsed.success) {
        throw new UsageError(
          parsed.error.issues
            .map(
              (i) =>
                `--${String(i.path[0])}: ${i.message.startsWith('audit.') ? translate('en', i.message, { example: 'login.failure', family: 'login.*' }) : i.message}`,
            )
            .join('\n'),
        );
      }
      const { db, users } = await services();
      // With --json and no --limit every match is printed: the first page at the largest size, then the ones after it.
      const everything = values.json && values.limit === undefined;
      const page = await findAuditEvents(db, users, everything ? { ...parsed.data, limit: AUDIT_PAGE_MAX } : parsed.data);
      if (page.unknownUser) throw new UsageError(`No account has the username or e-mail address "${values.user}"`);
      if (values.json) page.events.forEach((e) => io.out(`${JSON.stringify(e)}\n`));
      if (everything && page.older) for await (const e of allAuditEvents(db, users, { ...parsed.data, before: page.older })) io.out(`${JSON.stringify(e)}\n`);
      if (values.json) return;
      // The next page starts after the last row's id, the order the trail is read in: not after its time, which the
      // events before it on the same millisecond (PostgreSQL keeps microseconds) would share, and be lost with.
      io.out(
        page.events.length
          ? `${page.events.map(line).join('\n')}\n${page.older ? `(older events: --limit more, or --before ${page.older})\n` : ''}`
          : 'No events\n',
      );
    },
  }),
};
