// The recovery pages: the request form (address, customer number in customer deployments, CAPTCHA), the
// answer that is the same whether or not an account matched, and the reset form the mailed link opens.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { captchaRefusal, type Captcha } from '../../domain/guards/captcha.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { codeEntryThrottle } from '../../domain/guards/throttle.ts';
import { controlCharacters, formInput } from '../../platform/web/form.ts';
import { noSoonerThan } from '../../platform/web/even-answer.ts';
import { knownDevices, rememberDevice } from '../../platform/web/devices.ts';
import { comingFrom, reloadAt, reloadedAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { customerNumberField } from './accounts.ts';
import { emailAddress } from '../../platform/web/email-address.ts';
import { createRecoveryService, type LinkProblem } from './service.ts';
import { redirectToDone } from '../done/routes.ts';
import { backToApp, cameFrom } from '../done/came-from.ts';
import { holdProvenLogin } from '../login/proven-login.ts';

const text = (v: unknown) => (typeof v === 'string' ? v : '');

const customerNumberSchema = {
  required: z.string().trim().min(1).max(64),
  optional: z.string().trim().max(64),
};

interface RequestForm {
  values: { email: string; customer_number: string };
  errors: FormErrors;
}

interface ResetForm {
  errors: FormErrors;
}

export function recoveryRoutes(services: Services, captcha: Captcha): Router {
  const { config, db } = services;
  const policy = createPasswordPolicy(config);
  const recovery = createRecoveryService({ ...services, policy });
  // Reset links are unguessable; this only slows down an IP that keeps presenting unknown ones.
  const links = codeEntryThrottle(db, config, 'reset_link');
  const customerNumber = customerNumberField(config);

  function showRequest(ctx: Context, status: number, form: RequestForm) {
    ctx.status = status;
    renderPage(ctx, 'pages/recovery/request.njk', {
      titleKey: 'recovery.request.title',
      customerNumber,
      captcha,
      ...comingFrom(ctx, '/recovery'),
      ...form,
    });
  }

  function showReset(ctx: Context, status: number, token: string, user: User, form: ResetForm) {
    ctx.status = status;
    // The token came in the form, not the address: the mailed link's page, for Back or a reload.
    reloadAt(ctx, `/recovery/reset?${new URLSearchParams({ token, ...(ctx.query.ui_locales ? { ui_locales: text(ctx.query.ui_locales) } : {}) })}`);
    renderPage(ctx, 'pages/recovery/reset.njk', {
      titleKey: 'recovery.reset.title',
      token,
      user,
      rules: policy.rulesFor({ username: Boolean(user.username) }),
      uiLocales: text(ctx.query.ui_locales),
      ...form,
    });
  }

  function linkProblem(ctx: Context, problem: LinkProblem) {
    renderMessage(ctx, problem === 'invalid' ? 400 : 410, `recovery.link.${problem}.title`, `recovery.link.${problem}.message`, {
      actions: [{ href: '/recovery', key: 'recovery.link.new_request' }],
    });
  }

  async function checkLink(ctx: Context, token: string) {
    // Guessing link tokens is slowed per address; a real link (used, expired or live) is no failed guess.
    const { result } = await links.guard(
      { ip: ctx.ip },
      () => recovery.check(token),
      (state) => state.status !== 'invalid',
    );
    return result;
  }

  const router = createRouter();
  // Under the flow's own paths: a router's `use` without a path runs for every page route mounted after it.
  router.use('/recovery', reloadedAt());

  router.get('/recovery', (ctx) => showRequest(ctx, 200, { values: { email: '', customer_number: '' }, errors: {} }));

  router.post('/recovery', async (ctx) => {
    const started = performance.now();
    const { raw, parsed: readable } = await formInput(ctx, z.unknown());
    const values = { email: text(raw.email).trim(), customer_number: text(raw.customer_number).trim() };
    const email = emailAddress.safeParse(raw.email);
    const number = customerNumber === 'none' ? undefined : customerNumberSchema[customerNumber].safeParse(text(raw.customer_number));
    const errors: FormErrors = (!readable.success && controlCharacters(readable.error)) || {};
    if (!email.success) errors.email ??= [{ key: 'recovery.error.email' }];
    if (number && !number.success)
      errors.customer_number ??= [{ key: customerNumber === 'required' ? 'recovery.error.customer_number' : 'recovery.error.customer_number_long' }];
    if (!readable.success || !email.success || (number && !number.success)) return showRequest(ctx, 400, { values, errors });
    const refusal = await captchaRefusal(captcha, raw);
    if (refusal) return showRequest(ctx, 400, { values, errors: refusal });

    await recovery.request({
      email: email.data,
      customerNumber: number?.data || undefined,
      locale: requestLocale(ctx),
      ip: ctx.ip,
      devices: knownDevices(ctx),
      from: cameFrom(ctx),
    });
    // Known and unknown addresses do different work (tokens and a mail, or none): the answer waits for a fixed
    // time from the start of the request, so both arrive alike.
    await noSoonerThan(started, config.recoveryResponseMs);
    renderPage(ctx, 'pages/recovery/sent.njk', { titleKey: 'recovery.sent.title', minutes: recovery.ttlMinutes, ...comingFrom(ctx, '/recovery') });
  });

  router.get('/recovery/reset', async (ctx) => {
    const token = text(ctx.query.token);
    const state = await checkLink(ctx, token);
    if (state.status !== 'ok') return linkProblem(ctx, state.status);
    showReset(ctx, 200, token, state.user, { errors: {} });
  });

  router.post('/recovery/reset', async (ctx) => {
    const { raw, parsed: readable } = await formInput(ctx, z.unknown());
    const token = text(raw.token);
    const password = text(raw.password);
    const state = await checkLink(ctx, token);
    if (state.status !== 'ok') return linkProblem(ctx, state.status);
    if (!readable.success) return showReset(ctx, 400, token, state.user, { errors: controlCharacters(readable.error) ?? {} });
    if (password !== text(raw.confirm)) return showReset(ctx, 400, token, state.user, { errors: formError('confirm', 'recovery.error.mismatch') });
    const outcome = await recovery.reset(token, password, { ip: ctx.ip, locale: requestLocale(ctx) });
    if (outcome.status === 'weak') return showReset(ctx, 400, token, state.user, { errors: { password: outcome.failures } });
    if (outcome.status !== 'ok') return linkProblem(ctx, outcome.status);
    // The browser that proved the mailbox and chose the password is the owner's: its logins now count on their own,
    // so someone who keeps the account's name busy with guesses (from ever new addresses) does not keep her out.
    rememberDevice(ctx, outcome.user);
    const login = `/self/login?${new URLSearchParams({ return_to: '/', login_hint: outcome.user.username ?? outcome.user.email ?? '' })}`;
    const back = await backToApp(services, ctx, outcome.from);
    if (back) holdProvenLogin(ctx, back.href, outcome.user, 'recovery');
    await redirectToDone(services, ctx, {
      titleKey: 'recovery.done.title',
      messageKey: 'recovery.done.message',
      actions: [...(back ? [back] : []), { href: login, key: 'recovery.done.login' }],
    });
  });

  return router;
}
