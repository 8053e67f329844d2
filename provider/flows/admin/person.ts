// /admin/users/:id: one person as staff see them (status, contacts, linked card and logins, organisations, sessions
// and apps, passkeys and second factors, recent events) and what staff may do for them: end their sessions, mail a
// reset link, start a change of address or number, give or take the admin role, erase the account; what they take
// away for a person locked out of a second factor is ./person-factors.ts. Every action is audited with who did it;
// staff cannot demote or erase themselves.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireRecentLogin, requireUser } from '../self/routes.ts';
import { bodyFields, controlCharacters, fieldText, firstProblem, formInput, parseBody } from '../../platform/web/form.ts';
import { check, namesInputOf } from '../registration/forms.ts';
import { reloadAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { audit } from '../../platform/audit.ts';
import { endAccountAccess } from '../../domain/accounts/end-access.ts';
import { eraseAccount } from '../../domain/accounts/personal-data.ts';
import { stillAdmin } from '../../domain/accounts/staff-status.ts';
import { organisationsOf } from '../../domain/accounts/organisations.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { findLinkOfUser, formatCardNumber } from '../../domain/accounts/eid-links.ts';
import { linksOf } from '../../domain/upstreams/repository.ts';
import { listConnectedApps, listSessions } from '../../oidc/account-sessions.ts';
import { createRecoveryService } from '../recovery/service.ts';
import { searchAudit } from '../../platform/audit-trail.ts';
import { createEmailChange, newEmail } from '../../domain/accounts/email-change.ts';
import { createTotpMethod } from '../../methods/second-factor/totp.ts';
import { createPhoneVerification, firstNumber, startRefusalMessage } from '../../domain/accounts/phone-verification.ts';
import { passkeysOf } from '../../domain/passkeys/repository.ts';
import { pendingContacts } from '../../domain/accounts/pending-contacts.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { personFactorRoutes } from './person-factors.ts';
import { LIST_VIEWS, PERSON_VIEWS, recordView, VIEWS } from './view-record.ts';

// Outcomes shown once after a redirect; only these keys reach the page.
const NOTICES = [
  'sessions_ended',
  'reset_sent',
  'reset_impossible',
  'role_given',
  'role_taken',
  'name_saved',
  'email_link_sent',
  'email_unchanged',
  'second_factor_removed',
  'phone_code_sent',
  'phone_removed',
  'passkey_removed',
] as const;
const phoneInput = z.object({ phone: z.string().trim().max(40) });
const roleInput = z.object({ admin: z.enum(['on', 'off']) });
const deleteInput = z.object({ confirm: z.literal('on').optional() });

/** Sign-up's "Enter your given name." as staff read it on another person's page. */
const inStaffWords = (errors: FormErrors): FormErrors =>
  Object.fromEntries(
    Object.entries(errors).map(([field, list]) => [
      field,
      list?.map((e) => (e.key === `registration.error.${field}` ? { key: `admin.person.error.${field}` } : e)),
    ]),
  );

export function personAdminRoutes(services: Services): Router {
  const { db, users, tokens, provider } = services;
  const recovery = createRecoveryService({ ...services, policy: createPasswordPolicy(services.config) });
  const emailChange = createEmailChange(services);
  const totp = createTotpMethod(services.config, db);
  const phone = createPhoneVerification(services);
  const router = createRouter({ prefix: '/admin/users/:id' });
  router.use(requireUser(services, { role: 'admin' }));
  // What could hand an account to someone else or take it away (its address or number, the admin role, erasure)
  // asks staff for a recent login, as the person's own pages do: a staff session left open all day is not enough.
  const recentlyLoggedIn = requireRecentLogin(services);

  const staff = (ctx: Context) => ctx.state.user as User;
  const person = async (ctx: Context) => {
    const user = isUuid(ctx.params.id) ? await users.findById(db, ctx.params.id) : undefined;
    if (!user) renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
    return user;
  };
  const back = (ctx: Context, user: User, notice: (typeof NOTICES)[number]) => {
    ctx.status = 303;
    ctx.redirect(`/admin/users/${user.id}?notice=${notice}`);
  };

  /**
   * The page, with a form's errors and what was typed into it (shown again in its fields). Staff look at a person's
   * data for a reason; recording each look lets that be checked afterwards, under the person and under the staff
   * member. A refused form's page is a look too: a form is posted with any staff page's token, the page unopened.
   */
  async function show(ctx: Context, user: User, errors: FormErrors = {}, values: Record<string, string> = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    await recordView(db, ctx, VIEWS.person, {}, user.id);
    const [link, connections, organisations, sessions, apps, events, secondFactor, recoveryCodes, passkeys, pending] = await Promise.all([
      findLinkOfUser(db, user.id),
      linksOf(db, user.id),
      organisationsOf(db, user.id),
      listSessions(db, provider(), user.sub, ''),
      listConnectedApps(db, provider(), user.sub),
      // Neither looks at this person nor, on a staff member's page, their own looks at lists: either would crowd out
      // what happened to the account.
      searchAudit(db, { userIds: [user.id], except: [...PERSON_VIEWS, ...LIST_VIEWS], limit: 10 }),
      totp.isEnrolled(user),
      totp.recoveryCodesLeft(user),
      passkeysOf(db, user.id),
      pendingContacts(db, user.id),
    ]);
    reloadAt(ctx, `/admin/users/${user.id}`);
    renderPage(ctx, 'pages/admin/person.njk', {
      titleKey: 'admin.person.title',
      person: user,
      self: staff(ctx).id === user.id,
      card: link?.card_number ? formatCardNumber(link.card_number) : link ? '' : undefined,
      connections,
      organisations,
      sessions,
      apps,
      events,
      secondFactor,
      recoveryCodes,
      passkeys,
      pending,
      errors,
      values,
      done: NOTICES.find((n) => n === ctx.query.notice),
    });
  }

  router.get('/', async (ctx) => {
    const user = await person(ctx);
    if (user) await show(ctx, user);
  });

  router.post('/sessions/end', async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    await db.transaction(async (trx) => {
      await endAccountAccess(trx, tokens, user);
      await audit(trx, 'admin.sessions_ended', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id } });
    });
    back(ctx, user, 'sessions_ended');
  });

  router.post('/reset-link', async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    try {
      await recovery.mailLinkFor(user, { via: 'admin', staffId: staff(ctx).id, ip: ctx.ip });
      back(ctx, user, 'reset_sent');
    } catch (e) {
      if (!isAppError(e) || e.code !== 'reset_impossible') throw e;
      back(ctx, user, 'reset_impossible');
    }
  });

  router.post('/name', async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    const raw = await bodyFields(ctx);
    // The person's own profile's rules: a name the account has is not emptied here either.
    const checked = check(namesInputOf(user), raw);
    if (!checked.ok) return show(ctx, user, inStaffWords(checked.errors), { given_name: fieldText(raw.given_name), family_name: fieldText(raw.family_name) });
    const name = checked.data;
    await db.transaction(async (trx) => {
      await users.setName(trx, user.id, { givenName: name.given_name || null, familyName: name.family_name || null });
      await audit(trx, 'admin.name_changed', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id } });
    });
    back(ctx, user, 'name_saved');
  });

  // A new address counts only once its owner follows the link mailed to it, as when the person changes it.
  router.post('/email', recentlyLoggedIn, async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    if (user.id === staff(ctx).id) return renderMessage(ctx, 403, 'admin.person.self_title', 'admin.person.self_contact');
    const { parsed } = await formInput(ctx, z.object({ email: newEmail }));
    if (!parsed.success) return show(ctx, user, controlCharacters(parsed.error) ?? formError('email', 'account.email.error.invalid'));
    const started = await db.transaction(async (trx) => {
      const r = await emailChange.startWithin(trx, user, parsed.data.email, localeOf(user, services.config.defaultLocale));
      if (r.ok) await audit(trx, 'admin.email_change_started', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id } });
      return r.ok;
    });
    back(ctx, user, started ? 'email_link_sent' : 'email_unchanged');
  });

  // A new mobile number counts only once its code, texted to it, is typed on the person's own account pages: the
  // person's mail says where, and tells them in case they did not ask. Staff reach any country for a person, not for
  // their own account, which goes by everyone's rules.
  router.post('/phone', recentlyLoggedIn, async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    if (user.id === staff(ctx).id) return renderMessage(ctx, 403, 'admin.person.self_title', 'admin.person.self_contact');
    const { raw, parsed } = await formInput(ctx, phoneInput);
    if (!parsed.success) return show(ctx, user, firstProblem(parsed.error, 'account.phone.error.required'), { phone: fieldText(raw.phone) });
    const typed = parsed.data.phone;
    const r = await db.transaction(async (trx) => {
      const started = await phone.startPhoneVerification(trx, user, typed, undefined, { anyCountry: true });
      if (!started.ok) return started;
      await audit(trx, 'admin.phone_change_started', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id } });
      // An account without a number (never had one, or staff removed it) is given one, not a change of it.
      const mail = firstNumber(user) ? 'admin.person.phone_add_mail' : 'admin.person.phone_change_mail';
      await enqueueNotice(trx, user, localeOf(user, services.config.defaultLocale), {
        title: { key: `${mail}.title` },
        paragraphs: [{ key: `${mail}.body`, params: { number: started.number } }, { key: `${mail}.not_you` }],
        action: { href: `${services.config.issuerUrl}/account/phone/verify`, label: { key: 'admin.person.phone_change_mail.action' } },
      });
      return started;
    });
    if (r.ok) return back(ctx, user, 'phone_code_sent');
    return show(ctx, user, { phone: [startRefusalMessage(r)] }, { phone: typed });
  });

  router.post('/role', recentlyLoggedIn, async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    const { admin } = await parseBody(ctx, roleInput);
    if (user.id === staff(ctx).id) return renderMessage(ctx, 403, 'admin.person.self_title', 'admin.person.self_role');
    const done = await db.transaction(async (trx) => {
      if (!(await stillAdmin(trx, users, staff(ctx).id, user.id))) return false;
      const current = (await users.findById(trx, user.id))!;
      const roles = admin === 'on' ? [...new Set([...current.roles, 'admin'])] : current.roles.filter((r) => r !== 'admin');
      await users.setRoles(trx, user.id, roles);
      await audit(trx, 'admin.role_changed', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id, admin: admin === 'on' } });
      return true;
    });
    if (!done) throw new AppError('forbidden', 'error.forbidden', 403);
    back(ctx, user, admin === 'on' ? 'role_given' : 'role_taken');
  });

  router.post('/delete', recentlyLoggedIn, async (ctx) => {
    const user = await person(ctx);
    if (!user) return;
    if (user.id === staff(ctx).id) return renderMessage(ctx, 403, 'admin.person.self_title', 'admin.person.self_delete');
    const { confirm } = await parseBody(ctx, deleteInput);
    if (!confirm) return show(ctx, user, formError('confirm', 'admin.person.delete_confirm_required'));
    const allowed = await db.transaction(async (trx) => {
      if (!(await stillAdmin(trx, users, staff(ctx).id, user.id))) return false;
      if (await eraseAccount(trx, services, user, 'staff')) await audit(trx, 'admin.deleted', { userId: user.id, ip: ctx.ip, details: { by: staff(ctx).id } });
      return true;
    });
    if (!allowed) throw new AppError('forbidden', 'error.forbidden', 403);
    ctx.status = 303;
    ctx.redirect('/admin/users?notice=deleted');
  });

  personFactorRoutes(services, router, { person, staff, back, recentlyLoggedIn });
  return router;
}
