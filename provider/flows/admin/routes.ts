// Staff pages under /admin: the queue of registrations waiting for review, user search, block and unblock,
// activation mails sent again. Only accounts with the admin role, logged in through the provider itself; every
// action is audited with who did it.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireRecentLogin, requireUser } from '../self/routes.ts';
import { createRegistrationService } from '../registration/service.ts';
import { registrationErrors } from '../registration/errors.ts';
import { changeAccountStatus, stillAdmin } from '../../domain/accounts/staff-status.ts';
import { fieldText, firstProblem, formInput, unusableFields } from '../../platform/web/form.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
import { renderPage } from '../../platform/web/page.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { audit } from '../../platform/audit.ts';
import { nameCorrections } from '../../domain/accounts/name-corrections.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { nationalNumberKey } from '../../domain/accounts/national-number-key.ts';
import { recordView, searchDetails, VIEWS } from './view-record.ts';

const approveInput = z.object({ username: z.string().trim().max(64).optional() });
const rejectInput = z.object({ reason: z.string().trim().max(500).optional() });
const searchInput = z.object({ q: z.string().max(200).optional() }).loose();
/** The staff search's field, typed into a GET form: its page says what is wrong with a NUL or a byte not text in it (refuseUnreadableQuery). */
export const TYPED_QUERY = { '/admin/users': ['q'] } as const;

// Outcomes shown once after a redirect, and those whose message names the account.
const NOTICES = [
  'approved',
  'rejected',
  'failed',
  'blocked',
  'unblocked',
  'locked',
  'resent',
  'not_pending',
  'deleted',
  'correction_approved',
  'correction_rejected',
] as const;
const NAMING = new Set<string>(['approved', 'blocked', 'unblocked', 'locked', 'resent', 'not_pending', 'correction_approved', 'correction_rejected']);

export function adminRoutes(services: Services): Router {
  const { config, db, users } = services;
  const registration = createRegistrationService(services);
  const numberKey = nationalNumberKey(config, db);
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

  // A link to a staff page must not put words of its own on it ("… is blocked", "Nothing was changed (…)"): only these
  // outcomes, an account named only when it exists, and an error only as a code.
  const noticeOf = async (ctx: Context) => {
    const notice = NOTICES.find((n) => n === ctx.query.notice);
    if (!notice) return undefined;
    const named = typeof ctx.query.username === 'string' ? ctx.query.username : '';
    const username = named && (await users.findByIdentifier(db, named, 'username_or_email')).length > 0 ? named : '';
    if (NAMING.has(notice) && !username) return undefined;
    const error = typeof ctx.query.error === 'string' && /^[a-z_]{1,64}$/.test(ctx.query.error) ? ctx.query.error : '';
    if (notice === 'failed' && !error) return undefined;
    return { key: `admin.notice.${notice}`, params: { username, error } };
  };

  /** The queue, with a refused form's errors and what was typed into it; its fields are named `<field>-<id>`. */
  async function queuePage(ctx: Context, errors: FormErrors = {}, values: Record<string, string> = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    const [queue, corrections] = await Promise.all([registration.queue(), nameCorrections.queue(db)]);
    // An empty queue shows nobody: nothing to record.
    if (queue.length + corrections.length) await recordView(db, ctx, VIEWS.queue, { registrations: queue.length, corrections: corrections.length });
    renderPage(ctx, 'pages/admin/queue.njk', {
      titleKey: 'admin.queue.title',
      queue,
      corrections,
      queueCount: queue.length + corrections.length,
      notice: await noticeOf(ctx),
      errors,
      values,
    });
  }

  /** A queue form refused (a NUL, too long): its field's problem at that item's field (`fieldOf`), what was typed kept. */
  function refusedForm(ctx: Context, error: z.ZodError, raw: Record<string, unknown>, fieldOf: (name: string) => string) {
    const [name, problems] = Object.entries(firstProblem(error, 'error.invalid_input'))[0]!;
    return queuePage(ctx, { [fieldOf(name)]: problems }, { [fieldOf(name)]: fieldText(raw[name]) });
  }

  router.get('/', (ctx) => queuePage(ctx));

  // A name correction (LOCKED_NAMES): approved, the account takes the names; either way the person is mailed.
  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/name-corrections/:id/${decision}`, async (ctx) => {
      const id = isUuid(ctx.params.id) ? ctx.params.id : '00000000-0000-0000-0000-000000000000';
      const { raw, parsed } = await formInput(ctx, rejectInput);
      if (!parsed.success) return refusedForm(ctx, parsed.error, raw, (name) => `correction-${name}-${id}`);
      const { reason } = parsed.data;
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
    const { raw, parsed } = await formInput(ctx, approveInput);
    if (!parsed.success) return refusedForm(ctx, parsed.error, raw, (name) => `${name}-${ctx.params.id}`);
    const { username } = parsed.data;
    try {
      const r = await registration.approve(ctx.params.id!, { username: username || undefined, reviewerId: staff(ctx).id, ip: ctx.ip });
      back(ctx, '/admin', 'approved', { username: r.username });
    } catch (e) {
      if (!isAppError(e)) throw e;
      back(ctx, '/admin', 'failed', { error: e.code });
    }
  });

  router.post('/registrations/:id/reject', async (ctx) => {
    const { raw, parsed } = await formInput(ctx, rejectInput);
    if (!parsed.success) return refusedForm(ctx, parsed.error, raw, (name) => `${name}-${ctx.params.id}`);
    const { reason } = parsed.data;
    try {
      await registration.reject(ctx.params.id!, { reason, reviewerId: staff(ctx).id, ip: ctx.ip });
      back(ctx, '/admin', 'rejected');
    } catch (e) {
      if (!isAppError(e)) throw e;
      back(ctx, '/admin', 'failed', { error: e.code });
    }
  });

  /** The search page: the accounts found for `q`, or a refused search field's problem with what it held. */
  async function usersPage(ctx: Context, q: string, errors: FormErrors = {}) {
    const refused = Object.keys(errors).length > 0;
    if (refused) ctx.status = 400;
    const searched = Boolean(q) && !refused;
    const found = searched ? await users.search(db, q) : [];
    if (searched) await recordView(db, ctx, VIEWS.search, searchDetails(q, await numberKey(), found.length));
    renderPage(ctx, 'pages/admin/users.njk', {
      titleKey: 'admin.users.title',
      q,
      found,
      searched,
      self: staff(ctx).id,
      notice: await noticeOf(ctx),
      errors,
    });
  }

  router.get('/users', (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 200) : '';
    return usersPage(ctx, q, unusableFields({ q }));
  });

  /** The account named in the path, read once for the request's guard and its handler. */
  async function named(ctx: Context): Promise<User | undefined> {
    if (!('named' in ctx.state)) ctx.state.named = await users.findById(db, isUuid(ctx.params.id) ? ctx.params.id : '00000000-0000-0000-0000-000000000000');
    return ctx.state.named as User | undefined;
  }

  /**
   * The account named in the path, and where to go back to (the search the action came from); undefined when that
   * search cannot be gone back to, and the search page, nothing done, says so at its field.
   */
  async function target(ctx: Context): Promise<{ user: User; to: string } | undefined> {
    const user = await named(ctx);
    if (!user) throw registrationErrors.userUnknown();
    const { raw, parsed } = await formInput(ctx, searchInput);
    if (!parsed.success) {
      await usersPage(ctx, fieldText(raw.q), firstProblem(parsed.error, 'error.invalid_input'));
      return undefined;
    }
    return { user, to: `/admin/users?${new URLSearchParams({ q: parsed.data.q ?? user.username ?? user.email ?? '' })}` };
  }

  // Blocking or locking an admin takes the account away as surely as taking the role or erasing it (a locked admin
  // cannot log in to unlock anyone): it asks for a recent login, as those do (./person.ts). A person without the role
  // is the helpdesk's routine ("I lost my phone"), and giving an account back takes nothing away: neither asks.
  const recentlyLoggedIn = requireRecentLogin(services);
  const recentLoginForAnAdmin = async (ctx: Context, next: Next) => ((await named(ctx))?.roles.includes('admin') ? recentlyLoggedIn(ctx, next) : next());

  // Block and lock: provider/domain/accounts/staff-status.ts says what each means. Made as role and erasure are, after
  // stillAdmin: of two admins locking each other at once, the second finds its own account locked, and changes nothing.
  for (const action of ['block', 'lock', 'unblock'] as const) {
    const guards = action === 'unblock' ? [] : [recentLoginForAnAdmin];
    router.post(`/users/:id/${action}`, ...guards, async (ctx) => {
      const found = await target(ctx);
      if (!found) return;
      const { user, to } = found;
      if (action !== 'unblock' && user.id === staff(ctx).id) throw registrationErrors.selfBlock();
      const allowed = await db.transaction(async (trx) => {
        if (!(await stillAdmin(trx, users, staff(ctx).id, user.id))) return false;
        await changeAccountStatus(trx, services, user, action, { userId: staff(ctx).id, ip: ctx.ip });
        return true;
      });
      if (!allowed) throw new AppError('forbidden', 'error.forbidden', 403);
      back(ctx, to, action === 'unblock' ? 'unblocked' : action === 'block' ? 'blocked' : 'locked', { username: user.username ?? user.email ?? '' });
    });
  }

  router.post('/users/:id/resend-activation', async (ctx) => {
    const found = await target(ctx);
    if (!found) return;
    const { user, to } = found;
    const sent = await registration.resendFor(user, staff(ctx).id, ctx.ip);
    back(ctx, to, sent ? 'resent' : 'not_pending', { username: user.username ?? user.email ?? '' });
  });

  return router;
}
