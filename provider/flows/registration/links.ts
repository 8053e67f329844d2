// After the form: the "check your mail" page, the activation link (only its POST spends it), a new activation mail,
// and the open sign-up again that a link to the address allows past the address's mail ceiling.
import { browserBinding } from '../../domain/flow-state/binding.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { addressOf, FLOW, type FlowData, type RegistrationSteps } from './steps.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { body, bodyFields } from '../../platform/web/form.ts';
import { noSoonerThan } from '../../platform/web/even-answer.ts';
import { reloadAt, renderMessage, renderPage, safeReturnPath } from '../../platform/web/page.ts';
import { duration } from '../../platform/web/i18n.ts';
import { isAppError } from '../../platform/errors.ts';
import { check, echo, fieldLimits, schemas } from './forms.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { redirectToDone } from '../done/routes.ts';
import { captchaRefusal } from '../../domain/guards/captcha.ts';
import { backToApp, cameFrom } from '../done/came-from.ts';
import { holdProvenLogin } from '../login/proven-login.ts';
import type { AddressProof } from './activation.ts';
import { audit } from '../../platform/audit.ts';
import { keyOf } from '../../domain/guards/throttle.ts';

export function activationRoutes(router: Router, steps: RegistrationSteps): void {
  const { config, db, flows, service, limits, mails, take, captcha, modes, newFlow } = steps;
  router.get('/registration/sent', async (ctx) => {
    let flow: Flow<FlowData> | undefined;
    try {
      flow = await flows.get<FlowData>(db, String(ctx.query.flow ?? ''), FLOW, browserBinding(ctx));
    } catch (e) {
      if (!isAppError(e)) throw e;
    }
    const d = flow?.data;
    renderPage(ctx, 'pages/registration/sent.njk', {
      titleKey: flow?.state === 'review' ? 'registration.review.title' : 'registration.sent.title',
      review: flow?.state === 'review',
      email: d?.email,
      username: d?.username,
      mode: d?.mode,
      backTo: d?.returnTo,
      ttl: duration(config.activationTtl),
    });
  });

  // Activation: the link shows the form; only the POST spends it, so a mail scanner fetching links does not.
  async function showActivate(ctx: Context, token: string, errors: FormErrors = {}) {
    const link = await service.activation.inspect(db, token);
    const signUpAgain = mayStartAgain(link.proof);
    if (link.status !== 'ok' || !link.user) return linkProblem(ctx, link.status === 'ok' ? 'invalid' : link.status, signUpAgain ? token : undefined);
    if (Object.keys(errors).length) ctx.status = 400;
    // The token came in the form, not the address: the mailed link's page, for Back or a reload.
    reloadAt(ctx, `/registration/activate?${new URLSearchParams({ token })}`);
    renderPage(ctx, 'pages/registration/activate.njk', { titleKey: 'registration.activate.title', token, user: link.user, errors, values: {}, signUpAgain });
  }

  /**
   * Whether the link's page offers an open sign-up again with its address, which the link proves: someone else may have
   * signed up with it and a password she does not know, and filled the address's mail ceiling so that her own sign-up
   * gets no mail.
   */
  const mayStartAgain = (proof: AddressProof | undefined) => modes.includes('open') && proof !== undefined;

  // Starts that sign-up: a POST with the link's token (no new address holds it), answered with a flow of this browser
  // that keeps the address proven and a 303 to its form.
  router.post('/registration/open/again', async (ctx) => {
    steps.enabled('open');
    const raw = await body(ctx);
    const token = typeof raw.token === 'string' ? raw.token : '';
    const { status, proof } = await service.activation.inspect(db, token);
    if (!proof) {
      // What the link's own page says now (spent, expired…), which a reload shows.
      reloadAt(ctx, `/registration/activate?${new URLSearchParams({ token })}`);
      return linkProblem(ctx, status === 'ok' ? 'invalid' : status);
    }
    const flow = await newFlow(ctx, { mode: 'open', provenEmail: proof.user.email, provenBy: keyOf(token) });
    // The account is the pending one whose data the sign-up will replace; the address is not written in clear.
    await audit(db, 'registration.address_proven', { userId: proof.user.id, ip: ctx.ip, details: { flow: flow.id, link: proof.link } });
    ctx.status = 303;
    ctx.redirect(`/registration/open?${new URLSearchParams({ flow: flow.id })}`);
  });

  router.get('/registration/activate', (ctx) => showActivate(ctx, String(ctx.query.token ?? '')));

  router.post('/registration/activate', async (ctx) => {
    const raw = await bodyFields(ctx);
    const checked = check(schemas.activate, raw);
    if (!checked.ok) {
      if (checked.errors.token) return linkProblem(ctx, 'invalid');
      // A password too long or holding a NUL says so; only an empty one is "required".
      const problem = checked.errors.password?.find((e) => e.key.startsWith('error.field.'));
      return showActivate(ctx, String(raw.token), problem ? { password: [problem] } : formError('password', 'registration.activate.error.password_required'));
    }
    const { token, password } = checked.data;
    const r = await service.activation.activate(token, password, ctx.ip);
    if (r.status === 'wrong_password') return showActivate(ctx, token, formError('password', 'registration.activate.error.password'));
    if (r.status === 'ok') {
      const u = r.user!;
      const back = await backToApp(steps.services, ctx, r.from);
      if (back) holdProvenLogin(ctx, back.href, u, 'activation');
      return redirectToDone(steps, ctx, {
        titleKey: 'registration.activated.title',
        messageKey: u.username ? 'registration.activated.username' : 'registration.activated.email',
        messageParams: { username: u.username ?? '', email: u.email ?? '' },
        // A passkey as the new account's second way in, offered and skippable; adding one starts with a login.
        actions: [...(back ? [back] : []), { href: '/account/passkeys/new', key: 'passkeys.offer' }, { href: '/', key: 'registration.action.home' }],
      });
    }
    const replaced = r.status === 'voided' && mayStartAgain(await service.activation.addressProof(db, token));
    await linkProblem(ctx, r.status, replaced ? token : undefined);
  });

  /**
   * A link that does not lead to its form. A replaced one may still prove the address: its page then offers a sign-up
   * again with `offerWith`, the link's token.
   */
  async function linkProblem(ctx: Context, status: string, offerWith?: string) {
    const name = ['used', 'expired', 'voided', 'email_taken'].includes(status) ? status : 'invalid';
    const actions =
      name === 'used'
        ? [{ href: '/', key: 'registration.action.home' }]
        : name === 'email_taken'
          ? [{ href: '/recovery', key: 'registration.action.recovery' }]
          : [
              { href: '/registration/resend', key: 'registration.action.resend' },
              { href: '/registration', key: 'registration.action.sign_up_again' },
            ];
    const code = ({ used: 200, expired: 410, voided: 410, email_taken: 409 } as Record<string, number>)[name] ?? 404;
    const page = { actions, messageParams: { duration: duration(config.activationTtl) } };
    if (name === 'voided' && offerWith) {
      ctx.status = code;
      return renderPage(ctx, 'pages/registration/voided.njk', {
        titleKey: 'registration.link.voided.title',
        messageKey: 'registration.link.voided.message',
        isError: true,
        token: offerWith,
        ...page,
      });
    }
    renderMessage(ctx, code, `registration.link.${name}.title`, `registration.link.${name}.message`, page);
  }

  // A new activation mail: from the login page of a pending account, or typed into the form.
  const showResend = (ctx: Context, values: Record<string, string>, errors: FormErrors) => {
    if (Object.keys(errors).length) ctx.status = 400;
    renderPage(ctx, 'pages/registration/resend.njk', { titleKey: 'registration.resend.title', values, errors, limits: fieldLimits, captcha });
  };
  router.get('/registration/resend', (ctx) => showResend(ctx, { identifier: typeof ctx.query.identifier === 'string' ? ctx.query.identifier : '' }, {}));

  router.post('/registration/resend', async (ctx) => {
    const raw = await bodyFields(ctx);
    const checked = check(schemas.resend, raw);
    if (!checked.ok) return showResend(ctx, echo(raw), checked.errors);
    // As on the recovery form, which mails an address's account too: a script pays a proof of work for each.
    const refusal = await captchaRefusal(captcha, raw);
    if (refusal) return showResend(ctx, echo(raw), refusal);
    await take(limits.ip, addressOf(ctx));
    const started = performance.now();
    const identifier = checked.data.identifier;
    const from = cameFrom(ctx, raw.return_to);
    if (await mails.allow({ address: identifier, ip: ctx.ip })) await service.resend(identifier, ctx.ip, from);
    // Only a pending account gets a new link: the answer takes the same time for every identifier.
    await noSoonerThan(started, config.signUpResponseMs);
    const back = typeof raw.return_to === 'string' ? safeReturnPath(raw.return_to, '') : '';
    renderMessage(ctx, 200, 'registration.resent.title', 'registration.resent.message', {
      messageParams: { duration: duration(config.activationTtl) },
      actions: back ? [{ href: back, key: 'login.back' }] : [],
    });
  });
}
