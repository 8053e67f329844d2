// The reactivation pages: mobile number and CAPTCHA, the card step (methods/eid-card/card-step.ts), the card number to
// confirm, the activation token; and on the device being reactivated, "I have an activation token": mobile number
// and token, the SMS code texted to that number, the new password. Every page after the first reads its flow with
// this browser's binding, so a flow link opened in another browser is refused; and the "it was not me" link of the
// mail that tells of a reactivation.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { parseMobile } from '../../domain/accounts/phone.ts';
import { captchaRefusal, type Captcha } from '../../domain/guards/captcha.ts';
import { isAppError } from '../../platform/errors.ts';
import { body, bodyFields, unusableFields } from '../../platform/web/form.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { comingFrom, reloadedAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import type { CardStep } from '../../methods/eid-card/card-step.ts';
import { CARD } from './states.ts';
import { formatCardNumber } from '../../domain/accounts/eid-links.ts';
import type { ReactivationService } from './service.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { redirectToDone } from '../done/routes.ts';
import { upstreamsFor } from '../../domain/upstreams/repository.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const codeField = z.string().trim().min(1).max(20);

export function reactivationRoutes(services: Services, captcha: Captcha, reactivation: ReactivationService, cards: CardStep): Router {
  const { config } = services;
  const router = createRouter();
  // Under the flow's own paths: a router's `use` without a path runs for every page route mounted after it.
  router.use('/reactivation', reloadedAt());

  const mobileOf = (typed: string) => parseMobile(typed, config.phoneDefaultRegion);
  const mobileError = (typed: string): FormErrors => {
    const parsed = mobileOf(typed);
    if (parsed.ok) return {};
    return { mobile: [{ key: typed ? `account.phone.error.${parsed.problem}` : 'account.phone.error.required', params: parsed.example }] };
  };

  async function showStart(ctx: Context, status: number, values: { mobile: string }, errors: FormErrors) {
    ctx.status = status;
    // "Reactivate with <bank>" beside the eID: the upstreams enabled for reactivation (provider/methods/upstream).
    renderPage(ctx, 'pages/reactivation/start.njk', {
      titleKey: 'reactivation.start.title',
      ...comingFrom(ctx, '/reactivation'),
      values,
      errors,
      captcha,
      upstreams: await upstreamsFor(services.db, 'reactivation'),
    });
  }

  function showEnter(ctx: Context, status: number, values: { mobile: string; token: string }, errors: FormErrors) {
    ctx.status = status;
    renderPage(ctx, 'pages/reactivation/enter.njk', { titleKey: 'reactivation.enter.title', values, errors });
  }

  /** A refusal of the card step: its own message, and the way to start again (or to register). */
  function refused(ctx: Context, e: unknown) {
    if (!isAppError(e)) throw e;
    const noAccount = e.code === 'no_account';
    const locked = e.code === 'account_locked';
    // A holder who never linked the card may well have an account: the way back to it comes before a second one.
    const actions = noAccount
      ? [
          { href: '/recovery', key: 'login.forgot' },
          { href: '/registration', key: 'reactivation.no_account.register' },
        ]
      : [];
    // Starting again does not help with a lock: only the service desk lifts it.
    if (!locked) actions.push({ href: '/reactivation', key: 'reactivation.again' });
    const title = noAccount ? 'reactivation.no_account.title' : locked ? 'reactivation.locked.title' : 'eid.refused.title';
    renderMessage(ctx, e.status, title, e.key, { actions, messageParams: e.params });
  }

  router.get('/reactivation', (ctx) => showStart(ctx, 200, { mobile: '' }, {}));

  router.post('/reactivation', async (ctx) => {
    const raw = await bodyFields(ctx);
    const values = { mobile: text(raw.mobile) };
    const errors = unusableFields(raw) ?? mobileError(values.mobile);
    if (Object.keys(errors).length) return showStart(ctx, 400, values, errors);
    const refusal = await captchaRefusal(captcha, raw);
    if (refusal) return showStart(ctx, 400, values, refusal);
    const mobile = (mobileOf(values.mobile) as { e164: string }).e164;
    try {
      const flow = await reactivation.start(mobile, { ip: ctx.ip }, await services.flowStarts.forBrowser(ctx));
      ctx.status = 303;
      const via = typeof raw.via === 'string' && raw.via ? `/upstream/${encodeURIComponent(raw.via)}/start?purpose=reactivation&flow=${flow.id}` : undefined;
      ctx.redirect(via ?? `/reactivation/${flow.id}/card`);
    } catch (e) {
      refused(ctx, e);
    }
  });

  router.get('/reactivation/:flow/card', async (ctx) => {
    const flow = await reactivation.get(String(ctx.params.flow), browserBinding(ctx));
    if (!flow.data.nonce)
      return renderMessage(ctx, 409, 'eid.refused.title', 'eid.error.nonce_used', { actions: [{ href: '/reactivation', key: 'reactivation.again' }] });
    cards.page(ctx, {
      titleKey: 'reactivation.card.title',
      introKey: 'reactivation.card.intro',
      action: `/reactivation/${flow.id}/card`,
      flowId: flow.id,
      nonce: flow.data.nonce,
      consent: true,
      cli: `eid-bridge activate --provider ${config.issuerUrl} --mobile ${flow.data.mobile}`,
    });
  });

  router.post('/reactivation/:flow/card', async (ctx) => {
    try {
      await cards.consented(ctx);
      const { flow, card, answer } = await cards.verify(ctx, CARD, String(ctx.params.flow));
      const checked = await reactivation.cardVerified(flow, card, answer.cardNumber, { ip: ctx.ip });
      ctx.status = 303;
      ctx.redirect(`/reactivation/${checked.id}/confirm`);
    } catch (e) {
      refused(ctx, e);
    }
  });

  router.get('/reactivation/:flow/confirm', async (ctx) => {
    const flow = await reactivation.get(String(ctx.params.flow), browserBinding(ctx));
    if (flow.state !== 'card_checked')
      return renderMessage(ctx, 409, 'reactivation.error.step_title', 'reactivation.error.step', {
        actions: [{ href: '/reactivation', key: 'reactivation.again' }],
      });
    const { upstream } = flow.data;
    renderPage(ctx, 'pages/reactivation/confirm.njk', {
      titleKey: upstream ? 'upstream.reactivation.confirm_title' : 'reactivation.confirm.title',
      flowId: flow.id,
      cardNumber: formatCardNumber(flow.data.cardNumber ?? ''),
      upstream,
    });
  });

  router.post('/reactivation/:flow/confirm', async (ctx) => {
    const { token, cardNumber, upstream } = await reactivation.issueToken(String(ctx.params.flow), { ip: ctx.ip }, browserBinding(ctx));
    renderPage(ctx, 'pages/reactivation/token.njk', {
      titleKey: 'reactivation.token.title',
      token,
      cardNumber: formatCardNumber(cardNumber),
      upstream,
      minutes: reactivation.ttlMinutes,
    });
  });

  router.get('/reactivation/token', (ctx) => showEnter(ctx, 200, { mobile: '', token: '' }, {}));

  router.post('/reactivation/token', async (ctx) => {
    const raw = await bodyFields(ctx);
    const values = { mobile: text(raw.mobile), token: text(raw.token) };
    const nul = unusableFields(raw);
    const errors = nul ?? mobileError(values.mobile);
    if (!nul && !codeField.safeParse(values.token).success) errors.token = [{ key: 'reactivation.error.token_required' }];
    if (Object.keys(errors).length) return showEnter(ctx, 400, values, errors);
    const mobile = (mobileOf(values.mobile) as { e164: string }).e164;
    const outcome = await reactivation.redeem(mobile, values.token, { ip: ctx.ip, locale: requestLocale(ctx) }, await services.flowStarts.forBrowser(ctx));
    if (outcome.status === 'ok') {
      ctx.status = 303;
      return ctx.redirect(`/reactivation/account/${outcome.flow.id}/${outcome.flow.state}`);
    }
    // One answer whether or not a token waits for the number: the page tells nobody which numbers have one.
    if (outcome.status === 'wrong') return showEnter(ctx, 400, values, formError('token', 'reactivation.error.token_wrong', { tries: outcome.triesLeft }));
    if (outcome.status === 'too_many') return showEnter(ctx, 429, values, formError('token', 'reactivation.error.token_too_many', { wait: outcome.wait }));
    if (outcome.status === 'busy') return showEnter(ctx, 429, values, formError('token', 'error.try_again', { seconds: outcome.seconds }));
    renderMessage(ctx, 410, `reactivation.token_state.${outcome.status}.title`, `reactivation.token_state.${outcome.status}.message`, {
      actions: [{ href: '/reactivation', key: 'reactivation.again' }],
    });
  });

  async function accountFlow(ctx: Context) {
    return reactivation.account(String(ctx.params.flow), browserBinding(ctx));
  }

  async function showPhone(ctx: Context, status: number, errors: FormErrors) {
    const flow = await accountFlow(ctx);
    ctx.status = status;
    renderPage(ctx, 'pages/reactivation/phone.njk', {
      titleKey: 'reactivation.phone.title',
      flowId: flow.id,
      mobile: flow.data.mobile,
      values: { code: '' },
      errors,
    });
  }

  async function showPassword(ctx: Context, status: number, errors: FormErrors) {
    const flow = await accountFlow(ctx);
    const user = await reactivation.person(flow);
    ctx.status = status;
    renderPage(ctx, 'pages/reactivation/password.njk', {
      titleKey: 'reactivation.password.title',
      flowId: flow.id,
      user,
      rules: reactivation.policy.rulesFor({ username: Boolean(user.username) }),
      errors,
    });
  }

  router.get('/reactivation/account/:flow/phone', (ctx) => showPhone(ctx, 200, {}));

  router.post('/reactivation/account/:flow/phone', async (ctx) => {
    const flow = await accountFlow(ctx);
    const raw = await bodyFields(ctx);
    const unusable = unusableFields(raw);
    const code = codeField.safeParse(raw.code);
    if (unusable || !code.success) return showPhone(ctx, 400, unusable ?? formError('code', 'reactivation.error.code_required'));
    const outcome = await reactivation.confirmPhone(flow, code.data);
    if (outcome.status === 'ok') {
      ctx.status = 303;
      return ctx.redirect(`/reactivation/account/${flow.id}/password`);
    }
    if (outcome.status === 'wrong') return showPhone(ctx, 400, formError('code', 'reactivation.error.code_wrong', { tries: outcome.triesLeft }));
    renderMessage(ctx, 410, 'reactivation.error.code_title', 'reactivation.error.code_over', {
      actions: [{ href: '/reactivation', key: 'reactivation.again' }],
    });
  });

  router.get('/reactivation/account/:flow/password', (ctx) => showPassword(ctx, 200, {}));

  router.post('/reactivation/account/:flow/password', async (ctx) => {
    const flow = await accountFlow(ctx);
    const raw = await bodyFields(ctx);
    const unusable = unusableFields(raw);
    if (unusable) return showPassword(ctx, 400, unusable);
    const password = typeof raw.password === 'string' ? raw.password : '';
    if (!password) return showPassword(ctx, 400, formError('password', 'reactivation.error.password_required'));
    if (password !== raw.confirm) return showPassword(ctx, 400, formError('confirm', 'reactivation.error.mismatch'));
    const outcome = await reactivation.complete(flow, password, { ip: ctx.ip, locale: requestLocale(ctx) });
    if (outcome.status === 'weak') return showPassword(ctx, 400, { password: outcome.failures });
    const user = outcome.user;
    const login = (returnTo: string) => `/self/login?${new URLSearchParams({ return_to: returnTo, login_hint: user.username ?? user.email ?? '' })}`;
    // A passkey is offered as the way back in next time (skippable: the plain login is the other link).
    // Its own page, so that a reload shows it again rather than the finished step's "already done".
    await redirectToDone(services, ctx, {
      titleKey: 'reactivation.done.title',
      messageKey: 'reactivation.done.message',
      actions: [
        { href: login('/account/passkeys/new'), key: 'passkeys.offer' },
        { href: login('/'), key: 'reactivation.done.login' },
      ],
    });
  });

  router.get('/reactivation/report/:token', async (ctx) => {
    if (!(await reactivation.reportable(String(ctx.params.token))))
      return renderMessage(ctx, 410, 'reactivation.report.gone_title', 'reactivation.report.gone');
    renderPage(ctx, 'pages/reactivation/report.njk', { titleKey: 'reactivation.report.title', action: ctx.path });
  });

  router.post('/reactivation/report/:token', async (ctx) => {
    await body(ctx);
    const outcome = await reactivation.report(String(ctx.params.token), { ip: ctx.ip });
    if (outcome !== 'locked') return renderMessage(ctx, 410, 'reactivation.report.gone_title', 'reactivation.report.gone');
    renderMessage(ctx, 200, 'reactivation.report.done_title', 'reactivation.report.done');
  });

  return router;
}
