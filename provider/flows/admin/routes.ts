// Staff pages under /admin: the queue of registrations waiting for review, user search, block and unblock,
// activation mails sent again. Only accounts with the admin role, logged in through the provider itself; every
// action is audited with who did it.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { createRegistrationService } from '../registration/service.ts';
import { registrationErrors } from '../registration/errors.ts';
import { changeAccountStatus } from '../../domain/accounts/staff-status.ts';
import { parseBody } from '../../platform/web/form.ts';
import { renderPage } from '../../platform/web/page.ts';
import { isAppError } from '../../platform/errors.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { audit } from '../../platform/audit.ts';
import { nameCorrections } from '../../domain/accounts/name-corrections.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';

const approveInput = z.object({ username: z.string().trim().max(64).optional() });
const rejectInput = z.object({ reason: z.string().trim().max(500).optional() });

export function adminRoutes(services: Services): Router {
  const { config, db, users } = services;
  const registration = createRegistrationService(services);
  const router = createRouter({ prefix: '/admin' });
  router.use(requireUser(services, { role: 'admin' }));

  const staff = (ctx: Context) => ctx.state.user as User;

  /** After a POST: back to the page, with a notice the page shows once (no state kept on the server). */
  function back(ctx: Context, to: string, notice: string, params: Record<string, string> = {}) {
    const url = new URL(to, 'http://x');
    url.searchParams.set('notice', notice);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    ctx.status = 303;
    ctx.redirect(url.pathname + url.search);
  }

  const noticeOf = (ctx: Context) => {
    const key = typeof ctx.query.notice === 'string' && /^[a-z_]+$/.test(ctx.query.notice) ? `admin.notice.${ctx.query.notice}` : undefined;
    return key && { key, params: { username: String(ctx.query.username ?? ''), error: String(ctx.query.error ?? '') } };
  };

  router.get('/', async (ctx) => {
    const [queue, corrections] = await Promise.all([registration.queue(), nameCorrections.queue(db)]);
    renderPage(ctx, 'pages/admin/queue.njk', {
      titleKey: 'admin.queue.title',
      queue,
      corrections,
      queueCount: queue.length + corrections.length,
      notice: noticeOf(ctx),
    });
  });

  // A name correction (LOCKED_NAMES): approved, the account takes the names; either way the person is mailed.
  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/name-corrections/:id/${decision}`, async (ctx) => {
      const { reason } = await parseBody(ctx, rejectInput);
      const id = isUuid(ctx.params.id) ? ctx.params.id : '00000000-0000-0000-0000-000000000000';
      const decided = await db.transaction(async (trx) => {
        const c = await nameCorrections.decide(trx, id, decision === 'approve' ? 'approved' : 'rejected', { reviewerId: staff(ctx).id, reason });
        if (!c) return undefined;
        const person = (await users.findById(trx, c.userId))!;
        await audit(trx, `account.name_correction_${decision === 'approve' ? 'approved' : 'rejected'}`, {
          userId: c.userId,
          ip: ctx.ip,
          details: { by: staff(ctx).id, correction: c.id },
        });
        await enqueueNotice(trx, person, localeOf(person, config.defaultLocale), {
          title: { key: `account.correction.mail.${decision}.title` },
          paragraphs:
            decision === 'approve'
              ? [{ key: 'account.correction.mail.approve.body', params: { given: c.givenName, family: c.familyName } }]
              : [{ key: 'account.correction.mail.reject.body' }, ...(reason ? [{ key: 'account.correction.mail.reason', params: { reason } }] : [])],
          action: { href: `${config.issuerUrl}/account`, label: { key: 'account.correction.mail.action' } },
        });
        return person;
      });
      if (!decided) return back(ctx, '/admin', 'failed', { error: 'correction_not_waiting' });
      back(ctx, '/admin', decision === 'approve' ? 'correction_approved' : 'correction_rejected', { username: decided.username ?? decided.email ?? '' });
    });
  }

  router.post('/registrations/:id/approve', async (ctx) => {
    const { username } = await parseBody(ctx, approveInput);
    try {
      const r = await registration.approve(ctx.params.id!, { username: username || undefined, reviewerId: staff(ctx).id, ip: ctx.ip });
      back(ctx, '/admin', 'approved', { username: r.username });
    } catch (e) {
      if (!isAppError(e)) throw e;
      back(ctx, '/admin', 'failed', { error: e.code });
    }
  });

  router.post('/registrations/:id/reject', async (ctx) => {
    const { reason } = await parseBody(ctx, rejectInput);
    try {
      await registration.reject(ctx.params.id!, { reason, reviewerId: staff(ctx).id, ip: ctx.ip });
      back(ctx, '/admin', 'rejected');
    } catch (e) {
      if (!isAppError(e)) throw e;
      back(ctx, '/admin', 'failed', { error: e.code });
    }
  });

  router.get('/users', async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 200) : '';
    const found = q ? await users.search(db, q) : [];
    renderPage(ctx, 'pages/admin/users.njk', { titleKey: 'admin.users.title', q, found, searched: Boolean(q), self: staff(ctx).id, notice: noticeOf(ctx) });
  });

  /** The account named in the path, and where to go back to (the search the action came from). */
  async function target(ctx: Context): Promise<{ user: User; to: string }> {
    const user = await users.findById(db, isUuid(ctx.params.id) ? ctx.params.id : '00000000-0000-0000-0000-000000000000');
    if (!user) throw registrationErrors.userUnknown();
    const q = (await parseBody(ctx, z.object({ q: z.string().max(200).optional() }).loose())).q;
    return { user, to: `/admin/users?${new URLSearchParams({ q: q ?? user.username ?? user.email ?? '' })}` };
  }

  // Block and lock: provider/domain/accounts/staff-status.ts says what each means.
  for (const action of ['block', 'lock', 'unblock'] as const) {
    router.post(`/users/:id/${action}`, async (ctx) => {
      const { user, to } = await target(ctx);
      if (action !== 'unblock' && user.id === staff(ctx).id) throw registrationErrors.selfBlock();
      await changeAccountStatus(services, user, action, { userId: staff(ctx).id, ip: ctx.ip });
      back(ctx, to, action === 'unblock' ? 'unblocked' : action === 'block' ? 'blocked' : 'locked', { username: user.username ?? user.email ?? '' });
    });
  }

  router.post('/users/:id/resend-activation', async (ctx) => {
    const { user, to } = await target(ctx);
    const sent = await registration.resendFor(user, staff(ctx).id, ctx.ip);
    back(ctx, to, sent ? 'resent' : 'not_pending', { username: user.username ?? user.email ?? '' });
  });

  return router;
}
