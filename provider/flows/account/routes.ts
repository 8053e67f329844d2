// The profile page of a logged-in user: name (or its correction by the office), language, mobile number, e-mail
// address, organisations. The other account pages: ./security.ts, ./sessions.ts, ./alerts.ts, ./alert-contacts.ts,
// ./passkeys.ts, ./data.ts.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireRecentLogin, requireUser } from '../self/routes.ts';
import { body, bodyFields, controlCharacters, fieldText, firstProblem, formInput, maxLengths, oneLine } from '../../platform/web/form.ts';
import { check, namesInputOf, personNames } from '../registration/forms.ts';
import { shownEmail } from '../../platform/web/email-address.ts';
import { reloadAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { exampleMobile, formatPhone } from '../../domain/accounts/phone.ts';
import { createPhoneVerification, startRefusalMessage } from '../../domain/accounts/phone-verification.ts';
import { createEmailChange, newEmail } from '../../domain/accounts/email-change.ts';
import { getAlertSettings } from '../../domain/accounts/alerts.ts';
import { alertNotices, doneOf } from './notices.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { pendingContacts } from '../../domain/accounts/pending-contacts.ts';
import { customerNumbersOf } from '../../domain/customers/customers.ts';
import type { Portal } from '../../oidc/portal.ts';
import { organisationsOf } from '../../domain/accounts/organisations.ts';
import { nameCorrections, namesLocked } from '../../domain/accounts/name-corrections.ts';
import { duration, isLocale, LOCALES } from '../../platform/web/i18n.ts';
import { audit } from '../../platform/audit.ts';

const phoneInput = z.object({ phone: z.string().trim().min(1).max(40) });
const codeInput = z.object({ code: z.string().trim().min(1).max(20) });
const emailInput = z.object({ email: newEmail });
const tokenInput = z.object({ token: z.string().min(1).max(200) });
const correctionInput = z.object({ correction_given_name: oneLine(100).min(1), correction_family_name: oneLine(100).min(1) });
const languageInput = z.object({ locale: z.enum(LOCALES) });
const profileLimits = maxLengths(z.object(personNames), correctionInput, phoneInput);
const emailLimits = maxLengths(emailInput);

export function accountRoutes(services: Services): Router {
  const { config, db, users } = services;
  const router = createRouter();
  const loggedIn = requireUser(services);
  const recentlyLoggedIn = requireRecentLogin(services);
  const phone = createPhoneVerification(services);
  const emailChange = createEmailChange(services);

  const user = (ctx: Context) => ctx.state.user as User;
  // Mails and SMS go out in the account's language, not the page's: the person chose it on /account.
  const mailLocale = (ctx: Context) => localeOf(user(ctx), config.defaultLocale);

  async function profile(ctx: Context, extra: { errors?: FormErrors; values?: Record<string, string> } = {}) {
    const u = user(ctx);
    const [pending, alerts, organisations, locked, correction] = await Promise.all([
      pendingContacts(db, u.id),
      getAlertSettings(db, u.id),
      organisationsOf(db, u.id),
      namesLocked(db, config.lockedNames, u.id),
      nameCorrections.pendingOf(db, u.id),
    ]);
    // A customer portal names the account by its customer number.
    const customerNumber = (ctx.state.shared as { portal: Portal }).portal.customerNumber ? (await customerNumbersOf(db, [u.id])).get(u.id) : undefined;
    if (extra.errors) ctx.status = 400;
    reloadAt(ctx, '/account');
    renderPage(ctx, 'pages/account/profile.njk', {
      titleKey: 'account.profile.title',
      nav: 'profile',
      user: u,
      accountLocale: localeOf(u, config.defaultLocale),
      languageChosen: isLocale(u.locale),
      namesLocked: locked,
      customerNumber,
      correction,
      phone: u.phone_number ? formatPhone(u.phone_number) : null,
      pending: { email: pending.email, sms: pending.sms && { ...pending.sms, display: formatPhone(pending.sms.value) } },
      notices: alertNotices(alerts, u),
      organisations,
      example: exampleMobile(config.phoneDefaultRegion),
      done: doneOf(ctx),
      errors: extra.errors ?? {},
      values: extra.values ?? {},
      limits: profileLimits,
    });
  }

  router.get('/account', loggedIn, (ctx) => profile(ctx));

  router.post('/account/profile', loggedIn, async (ctx) => {
    const raw = await bodyFields(ctx);
    // Each refused field says why at itself: too long, unusable characters, or (as at sign-up) "Enter your given name."
    const checked = check(namesInputOf(user(ctx)), raw);
    if (!checked.ok)
      return profile(ctx, { errors: checked.errors, values: { given_name: fieldText(raw.given_name), family_name: fieldText(raw.family_name) } });
    if (await namesLocked(db, config.lockedNames, user(ctx).id)) return profile(ctx, { errors: formError('given_name', 'account.profile.error.locked') });
    await users.setName(db, user(ctx).id, { givenName: checked.data.given_name || null, familyName: checked.data.family_name || null });
    ctx.redirect('/account?done=profile_saved');
  });

  // Locked names (LOCKED_NAMES) change only through the office: the request waits in its queue on /admin.
  router.post('/account/name-correction', loggedIn, async (ctx) => {
    const u = user(ctx);
    if (!(await namesLocked(db, config.lockedNames, u.id))) return ctx.redirect('/account');
    const { parsed } = await formInput(ctx, correctionInput);
    if (!parsed.success) return profile(ctx, { errors: firstProblem(parsed.error, 'account.correction.error.required') });
    await db.transaction(async (trx) => {
      const c = await nameCorrections.request(trx, u.id, { givenName: parsed.data.correction_given_name, familyName: parsed.data.correction_family_name });
      await audit(trx, 'account.name_correction_requested', { userId: u.id, ip: ctx.ip, details: { correction: c.id } });
    });
    ctx.redirect('/account?done=correction_requested');
  });

  // The language of every mail and SMS to the person, whoever sends it; set at sign-up from the page's language.
  router.post('/account/language', loggedIn, async (ctx) => {
    const parsed = languageInput.safeParse(await body(ctx));
    if (!parsed.success) return profile(ctx, { errors: formError('locale', 'account.language.error') });
    await users.setLocale(db, user(ctx).id, parsed.data.locale);
    ctx.redirect('/account?done=language_saved');
  });

  // Mobile number: the typed number is normalised and texted a code; the verified number stays until it is typed back.
  // Apps receive it as verified and alerts go to it: the password again, as for a new address.
  router.post('/account/phone', recentlyLoggedIn, async (ctx) => {
    const { raw, parsed } = await formInput(ctx, phoneInput);
    const typed = parsed.success ? parsed.data.phone : '';
    if (!parsed.success)
      return profile(ctx, {
        errors: controlCharacters(parsed.error) ?? formError('phone', 'account.phone.error.required'),
        values: { phone: fieldText(raw.phone) },
      });
    const r = await db.transaction((trx) => phone.startPhoneVerification(trx, user(ctx), typed, mailLocale(ctx)));
    if (r.ok) return ctx.redirect('/account/phone/verify');
    await profile(ctx, { errors: { phone: [startRefusalMessage(r)] }, values: { phone: typed } });
  });

  async function verifyPage(ctx: Context, errors: FormErrors = {}) {
    const pending = (await pendingContacts(db, user(ctx).id)).sms;
    if (!pending) return ctx.redirect('/account');
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, '/account/phone/verify');
    renderPage(ctx, 'pages/account/phone-verify.njk', {
      titleKey: 'account.phone.verify.title',
      nav: 'profile',
      number: formatPhone(pending.value),
      expiresAt: pending.expiresAt,
      minutes: Math.round(config.phoneCodeTtl / 60),
      errors,
    });
  }

  router.get('/account/phone/verify', loggedIn, (ctx) => verifyPage(ctx));

  router.post('/account/phone/verify', loggedIn, async (ctx) => {
    const { parsed } = await formInput(ctx, codeInput);
    if (!parsed.success) return verifyPage(ctx, controlCharacters(parsed.error) ?? formError('code', 'account.phone.verify.error.required'));
    const r = await phone.confirmPhoneVerification(db, user(ctx), parsed.data.code);
    if (r.status === 'ok') return ctx.redirect('/account/alerts?done=phone_verified');
    if (r.status === 'wrong') return verifyPage(ctx, formError('code', 'account.phone.verify.error.wrong', { tries: r.triesLeft }));
    renderMessage(ctx, 400, 'account.phone.verify.title', `account.phone.verify.error.${r.status === 'expired' ? 'expired' : 'voided'}`, {
      actions: [{ href: '/account', key: 'account.phone.verify.start_again' }],
    });
  });

  // E-mail address: asks for the password again (requireUser with maxAge), then mails the new and the old address.
  function emailPage(ctx: Context, errors: FormErrors = {}, values: Record<string, string> = {}) {
    reloadAt(ctx, '/account/email');
    renderPage(ctx, 'pages/account/email-change.njk', {
      titleKey: 'account.email.title',
      nav: 'profile',
      user: user(ctx),
      errors,
      values,
      limits: emailLimits,
    });
  }

  router.get('/account/email', recentlyLoggedIn, (ctx) => emailPage(ctx));

  router.post('/account/email', recentlyLoggedIn, async (ctx) => {
    const { raw, parsed } = await formInput(ctx, emailInput);
    const u = user(ctx);
    const r = parsed.success ? await emailChange.start(u, parsed.data.email, mailLocale(ctx)) : undefined;
    if (!r?.ok) {
      ctx.status = r?.problem === 'too_many' ? 429 : 400;
      const errors =
        r?.problem === 'too_many'
          ? formError('email', 'error.too_many_wait', { wait: r.wait })
          : (!parsed.success && controlCharacters(parsed.error)) || formError('email', r ? 'account.email.error.unchanged' : 'account.email.error.invalid');
      return emailPage(ctx, errors, { email: fieldText(raw.email) });
    }
    renderMessage(ctx, 200, 'account.email.sent.title', 'account.email.sent.message', {
      messageParams: { email: shownEmail(parsed.data!.email), current: shownEmail(u.email), duration: duration(config.emailChangeTtl) },
      actions: [{ href: '/account', key: 'account.back' }],
    });
  });

  // The link in the mail: no login needed (the token proves the address), and a click confirms, because mail
  // scanners open links on their own.
  router.get('/account/email/verify', async (ctx) => {
    const token = String(ctx.query.token ?? '');
    const r = await emailChange.peek(db, token);
    if (r.status !== 'ok')
      return renderMessage(ctx, 400, 'account.email.verify.title', `account.email.verify.error.${r.status === 'expired' ? 'expired' : 'invalid'}`);
    renderPage(ctx, 'pages/account/email-verify.njk', { titleKey: 'account.email.verify.title', email: r.email, token });
  });

  router.post('/account/email/verify', async (ctx) => {
    // The link's token, not typed: one holding a NUL is a link that does not work, as any other wrong token.
    const { parsed } = await formInput(ctx, tokenInput);
    const r = parsed.success ? await emailChange.confirm(db, parsed.data.token) : ({ status: 'invalid' } as const);
    if (r.status !== 'ok') {
      const key = r.status === 'taken' ? 'taken' : r.status === 'expired' ? 'expired' : 'invalid';
      return renderMessage(ctx, 400, 'account.email.verify.title', `account.email.verify.error.${key}`);
    }
    renderMessage(ctx, 200, 'account.email.verify.done.title', 'account.email.verify.done.message', {
      messageParams: { email: r.email },
      actions: [{ href: '/account/alerts', key: 'account.alerts.turn_on_again' }],
    });
  });

  return router;
}
