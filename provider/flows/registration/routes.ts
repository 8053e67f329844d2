// The sign-up pages. Each form belongs to a stored flow (its id in a hidden field): the flow moves from 'form' to
// 'sent' in the transaction that creates the account and writes the mail, so a double submission does the work
// once and both answers show the same "check your mail" page.
import { randomUUID } from 'node:crypto';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { consumeOrRefuse, createLimiter, type Limiter } from '../../domain/guards/rate-limit.ts';
import { createMailQuota } from '../../domain/guards/mail-quota.ts';
import { body } from '../../platform/web/form.ts';
import { renderMessage, renderPage, safeReturnPath } from '../../platform/web/page.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { findCustomer } from '../../domain/customers/customers.ts';
import { invitations } from '../../domain/invitations/repository.ts';
import { createRegistrationService, type SignUp, type SignUpResult } from './service.ts';
import { check, echo, schemas, type FieldErrors } from './forms.ts';
import { registrationErrors } from './errors.ts';
import type { Knex } from 'knex';
import type { z } from 'zod';
import { createCardStep } from '../../methods/eid-card/card-step.ts';
import { refusalKey } from '../../methods/eid-card/card-answer.ts';
import { accountOfCard, formatCardNumber } from '../../domain/accounts/eid-links.ts';
import type { NonceData } from '../../methods/eid-card/nonces.ts';
import { hmacPrefix, type EidVerifier } from '../../methods/eid-card/verifier.ts';
import { audit } from '../../platform/audit.ts';

type Mode = 'open' | 'invitation' | 'customer' | 'eid';

type FlowData = {
  mode: Mode;
  returnTo?: string;
  invitationId?: string;
  username?: string;
  email?: string;
  /** eID: the card read at the first step (the national number only as its HMAC). */
  card?: { hmac: string; givenNames: string; surname: string; cardNumber?: string | undefined };
};

const FLOW = 'registration';
/** Names the pending account of this browser's last open sign-up: signing up again from it replaces that account. */
const SIGN_UP_COOKIE = 'sign_up';
/** Binds an eID sign-up to the browser that read the card: its flow holds the card holder's identity. */
/** Long enough to fill in a form at leisure; a flow only holds what the form needs. */
const FORM_TTL = 3 * 3600;

export function registrationRoutes(services: Services, verifier: EidVerifier): Router {
  const { config, db, flows, hasher } = services;
  const cards = createCardStep(services, verifier);
  const service = createRegistrationService(services);
  const policy = createPasswordPolicy(config);
  const limiter = (keyPrefix: string, points: number, durationSeconds: number) => createLimiter(db, { keyPrefix, points, durationSeconds });
  const limits = {
    ip: limiter('registration_ip', 100, 3600),
    invitation: limiter('registration_invitation', 10, 900),
    customer: limiter('registration_customer', 20, 3600),
  };
  // Mails to one address or account per requester and hour, under the address's ceiling: past them the answer
  // stays the same and no mail goes out.
  const mails = createMailQuota(db, { name: 'registration', perRequester: { points: 5, seconds: 3600 }, perAddress: { points: config.rateLimitAddressMails, seconds: 3600 } });
  const router = new Router();

  /** The modes offered: REGISTRATION_MODES, and the eID card with EID_REGISTRATION. */
  const modes: Mode[] = [...config.registrationModes, ...(config.eidRegistration ? (['eid'] as const) : [])];
  const enabled = (mode: Mode) => {
    if (!modes.includes(mode)) throw registrationErrors.modeDisabled();
  };

  /** Throws the "too many attempts" page when `key` is over its limit. */
  const take = (l: Limiter, key: string) => consumeOrRefuse(l, key);

  // Without a username (open and customer sign-up) the rule about containing it does not apply.
  const common = (template: string) => ({ rules: template === 'details' ? policy.rules : policy.rules.filter((r) => r.rule !== 'not_username'), termsVersion: config.termsVersion, privacyVersion: config.privacyVersion, termsUrl: config.termsUrl, privacyUrl: config.privacyUrl });

  async function newFlow(ctx: Context, data: FlowData): Promise<Flow<FlowData>> {
    const returnTo = typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined;
    return flows.create<FlowData>(db, { type: FLOW, state: 'form', binding: await services.flowStarts.forBrowser(ctx), data: { ...data, ...(returnTo ? { returnTo } : {}) }, ttlSeconds: FORM_TTL });
  }

  /** The sign-up this browser started, in `mode`. */
  async function loadFlow(ctx: Context, id: unknown, mode: Mode): Promise<Flow<FlowData>> {
    const flow = await flows.get<FlowData>(db, typeof id === 'string' ? id : '', FLOW, browserBinding(ctx));
    if (flow.data.mode !== mode) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
    return flow;
  }

  const sentPage = (ctx: Context, flow: Flow) => {
    ctx.status = 303;
    ctx.redirect(`/registration/sent?flow=${flow.id}`);
  };

  const TITLES = { open: 'registration.open.title', customer: 'registration.customer.title', details: 'registration.details.title', eid: 'registration.eid.title' };

  function showForm(ctx: Context, template: keyof typeof TITLES, flow: Flow<FlowData>, extra: { values?: Record<string, string>; errors?: FieldErrors; [k: string]: unknown } = {}) {
    if (extra.errors && Object.keys(extra.errors).length) ctx.status = 400;
    renderPage(ctx, `pages/registration/${template}.njk`, { titleKey: TITLES[template], flow: flow.id, values: {}, errors: {}, ...common(template), ...extra });
  }

  const signUpOf = async (ctx: Context, d: { email: string; password: string; given_name?: string; family_name?: string }): Promise<SignUp> => ({
    email: d.email,
    givenName: d.given_name ?? null,
    familyName: d.family_name ?? null,
    passwordHash: await hasher.hash(d.password),
    locale: requestLocale(ctx),
    acceptedAt: new Date(),
    ip: ctx.ip,
  });

  /**
   * Runs the sign-up and moves the flow in one transaction; a flow another request already moved means this is
   * a double submission, which gets the same page and does nothing. `mailKey` names whom the mails go to.
   */
  async function complete(ctx: Context, flow: Flow<FlowData>, mailKey: string, data: Partial<FlowData>, run: (trx: Knex) => Promise<SignUpResult>) {
    await take(limits.ip, ctx.ip);
    const mail = await mails.allow({ address: mailKey, ip: ctx.ip });
    try {
      await db.transaction(async (trx) => {
        const moved = await flows.transition(trx, flow, 'form', 'sent', data);
        if (!mail) return;
        const result = await run(trx);
        if (result.outcome === 'review') await flows.transition(trx, moved, 'sent', 'review');
      });
    } catch (e) {
      if (!(isAppError(e) && e.code === 'flow_conflict')) throw e;
    }
    sentPage(ctx, flow);
  }

  router.get('/registration', (ctx) => {
    if (!modes.length) throw registrationErrors.modeDisabled();
    const query = typeof ctx.query.return_to === 'string' ? `?${new URLSearchParams({ return_to: safeReturnPath(ctx.query.return_to) })}` : '';
    if (modes.length === 1) return ctx.redirect(`/registration/${modes[0]}${query}`);
    renderPage(ctx, 'pages/registration/choose.njk', { titleKey: 'registration.choose.title', modes, query });
  });

  /**
   * The routes of a one-page sign-up form (open, customer): GET starts a flow and shows the form; POST checks
   * the input and the password rules, shows the errors next to the fields, or hands the data to `accept`.
   */
  function signUpForm<S extends z.ZodType>(mode: 'open' | 'customer', schema: S, accept: (ctx: Context, flow: Flow<FlowData>, data: z.output<S>, reshow: (errors: FieldErrors) => void) => Promise<void>) {
    router.get(`/registration/${mode}`, async (ctx) => {
      enabled(mode);
      showForm(ctx, mode, await newFlow(ctx, { mode }));
    });
    router.post(`/registration/${mode}`, async (ctx) => {
      enabled(mode);
      const raw = await body(ctx);
      const flow = await loadFlow(ctx, raw.flow, mode);
      if (flow.state !== 'form') return sentPage(ctx, flow);
      const reshow = (errors: FieldErrors) => showForm(ctx, mode, flow, { values: echo(raw), errors });
      const checked = check(schema, raw, policy, (d) => ({ email: d.email as string }));
      if (!checked.ok) return reshow(checked.errors);
      await accept(ctx, flow, checked.data, reshow);
    });
  }

  signUpForm('open', schemas.open, async (ctx, flow, d) => {
    const s = await signUpOf(ctx, d);
    let account: string | undefined;
    await complete(ctx, flow, s.email, { email: s.email }, async (trx) => {
      const result = await service.signUpOpen(trx, s, ctx.cookies.get(SIGN_UP_COOKIE, { signed: true }));
      account = result.account;
      return result;
    });
    // Set after every sign-up, a known address's included (to a value naming nothing), so that the cookie tells
    // nobody whether the address had an account.
    ctx.cookies.set(SIGN_UP_COOKIE, account ?? randomUUID(), signedCookie(ctx, { path: '/registration', maxAge: config.activationTtl * 1000 }));
  });

  signUpForm('customer', schemas.customer, async (ctx, flow, d, reshow) => {
    const customer = await findCustomer(db, d.customer_number, d.name);
    if (!customer) {
      await take(limits.customer, ctx.ip);
      return reshow({ customer_number: [{ key: 'registration.error.customer_no_match' }] });
    }
    const s = await signUpOf(ctx, d);
    await complete(ctx, flow, `customer:${customer.customer_number}`, { email: s.email }, (trx) => service.signUpCustomer(trx, customer, s));
  });

  // Invitation: first the username and initial password from the slip, then the personal data.
  router.get('/registration/invitation', (ctx) => {
    enabled('invitation');
    renderPage(ctx, 'pages/registration/invitation.njk', { titleKey: 'registration.invitation.title', values: {}, errors: {}, backTo: typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined });
  });

  router.post('/registration/invitation', async (ctx) => {
    enabled('invitation');
    const raw = await body(ctx);
    const show = (errors: FieldErrors, status: number) => {
      ctx.status = status;
      renderPage(ctx, 'pages/registration/invitation.njk', { titleKey: 'registration.invitation.title', values: echo(raw), errors, backTo: echo(raw).return_to });
    };
    const checked = check(schemas.invitationLogin, raw);
    if (!checked.ok) return show(checked.errors, 400);
    await take(limits.ip, ctx.ip);
    await take(limits.invitation, checked.data.username.toLowerCase());
    const r = await service.checkInvitation(checked.data.username, checked.data.initial_password);
    if (r.status === 'invalid') return show({ form: [{ key: 'registration.error.invitation_invalid' }] }, 401);
    if (r.status !== 'ok') {
      const params = { username: r.invitation.username, reason: r.invitation.review_reason ?? '' };
      return renderMessage(ctx, r.status === 'active' ? 200 : 409, `registration.invitation.${r.status}.title`, `registration.invitation.${r.status}.message`, { messageParams: params });
    }
    const returnTo = typeof raw.return_to === 'string' ? safeReturnPath(raw.return_to) : undefined;
    const flow = await flows.create<FlowData>(db, {
      type: FLOW,
      state: 'form',
      binding: await services.flowStarts.forBrowser(ctx),
      data: { mode: 'invitation', invitationId: r.invitation.id, username: r.invitation.username, ...(returnTo ? { returnTo } : {}) },
      ttlSeconds: FORM_TTL,
    });
    ctx.status = 303;
    ctx.redirect(`/registration/invitation/details?flow=${flow.id}`);
  });

  async function invitationOf(flow: Flow<FlowData>) {
    const invitation = await invitations.findById(db, flow.data.invitationId ?? '');
    if (!invitation || !['issued', 'registered'].includes(invitation.status)) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
    return invitation;
  }

  router.get('/registration/invitation/details', async (ctx) => {
    enabled('invitation');
    const flow = await loadFlow(ctx, ctx.query.flow, 'invitation');
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const invitation = await invitationOf(flow);
    const earlier = invitation.user_id ? await services.users.findById(db, invitation.user_id) : undefined;
    const values = { given_name: invitation.given_name, family_name: invitation.family_name, email: earlier?.email ?? invitation.email ?? '' };
    showForm(ctx, 'details', flow, { values, username: invitation.username, group: invitation.group_name });
  });

  router.post('/registration/invitation/details', async (ctx) => {
    enabled('invitation');
    const raw = await body(ctx);
    const flow = await loadFlow(ctx, raw.flow, 'invitation');
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const invitation = await invitationOf(flow);
    const checked = check(schemas.invitationDetails, raw, policy, (d) => ({ username: invitation.username, email: d.email as string }));
    if (!checked.ok) return showForm(ctx, 'details', flow, { values: echo(raw), errors: checked.errors, username: invitation.username, group: invitation.group_name });
    const s = await signUpOf(ctx, checked.data);
    await complete(ctx, flow, `invitation:${invitation.id}`, { email: s.email }, (trx) => service.completeInvitation(trx, invitation, s));
  });

  // eID: the card first (consent, PIN in the bridge), then the address and a password; the name is the card's.

  async function eidForm(ctx: Context, id: unknown): Promise<Flow<FlowData>> {
    const flow = await loadFlow(ctx, id, 'eid');
    if (!flow.data.card) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
    return flow;
  }

  const showEid = (ctx: Context, flow: Flow<FlowData>, extra: { values?: Record<string, string>; errors?: FieldErrors } = {}) => showForm(ctx, 'eid', flow, { card: flow.data.card, cardNumber: flow.data.card?.cardNumber ? formatCardNumber(flow.data.card.cardNumber) : undefined, ...extra });

  router.get('/registration/eid', async (ctx) => {
    enabled('eid');
    const returnTo = typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined;
    const flow = await cards.nonces.start<FlowData>(db, { type: FLOW, binding: await services.flowStarts.forBrowser(ctx), data: { mode: 'eid', ...(returnTo ? { returnTo } : {}) }, ttlSeconds: FORM_TTL });
    cards.page(ctx, { titleKey: 'registration.eid.card_title', introKey: 'registration.eid.card_intro', action: '/registration/eid', flowId: flow.id, nonce: flow.data.nonce, consent: true, backHref: '/registration', backKey: 'registration.eid.other_ways' });
  });

  router.post('/registration/eid', async (ctx) => {
    enabled('eid');
    const again = [{ href: '/registration/eid', key: 'eid.again' }];
    const raw = await body(ctx);
    if (raw.consent !== 'yes') return renderMessage(ctx, 400, 'eid.refused.title', 'eid.error.consent', { actions: again });
    try {
      await take(limits.ip, ctx.ip);
      const { card, answer, flow } = await cards.verify<FlowData & NonceData>(ctx, FLOW, (data) => data.mode === 'eid', 'card_read');
      // The card's holder proved who they are: telling them their own card has an account reveals nobody else's.
      const holder = await accountOfCard(db, services.users, card.hmac);
      if (holder && holder.status !== 'pending') {
        await audit(db, 'registration.eid_has_account', { userId: holder.id, ip: ctx.ip, details: { card: hmacPrefix(card.hmac) } });
        return renderMessage(ctx, 409, 'registration.eid.has_account.title', 'registration.eid.has_account.message', {
          actions: [
            { href: flow.data.returnTo ?? '/account', key: 'registration.eid.has_account.login' },
            { href: '/reactivation', key: 'registration.eid.has_account.reactivate' },
          ],
        });
      }
      await flows.transition(db, flow, 'card_read', 'form', { card: { hmac: card.hmac, givenNames: card.givenNames, surname: card.surname, cardNumber: answer.cardNumber } });
      ctx.status = 303;
      ctx.redirect(`/registration/eid/details?flow=${flow.id}`);
    } catch (e) {
      if (!isAppError(e)) throw e;
      renderMessage(ctx, e.status, 'eid.refused.title', refusalKey(e), { actions: again, messageParams: e.params });
    }
  });

  router.get('/registration/eid/details', async (ctx) => {
    enabled('eid');
    const flow = await eidForm(ctx, ctx.query.flow);
    if (flow.state !== 'form') return sentPage(ctx, flow);
    showEid(ctx, flow);
  });

  router.post('/registration/eid/details', async (ctx) => {
    enabled('eid');
    const raw = await body(ctx);
    const flow = await eidForm(ctx, raw.flow);
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const card = flow.data.card!;
    const checked = check(schemas.eid, raw, policy, (d) => ({ email: d.email as string }));
    if (!checked.ok) return showEid(ctx, flow, { values: echo(raw), errors: checked.errors });
    const s = await signUpOf(ctx, { ...checked.data, given_name: card.givenNames, family_name: card.surname });
    await complete(ctx, flow, `eid:${card.hmac}`, { email: s.email }, (trx) => service.signUpEid(trx, { hmac: card.hmac, cardNumber: card.cardNumber }, s));
  });

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
      hours: Math.round(config.activationTtl / 3600),
    });
  });

  // Activation: the link shows the form; only the POST spends it, so a mail scanner fetching links does not.
  async function showActivate(ctx: Context, token: string, errors: FieldErrors = {}) {
    const r = await service.activation.peek(db, token);
    if (r.status !== 'ok' || !r.user) return linkProblem(ctx, r.status === 'ok' ? 'invalid' : r.status);
    if (Object.keys(errors).length) ctx.status = 400;
    renderPage(ctx, 'pages/registration/activate.njk', { titleKey: 'registration.activate.title', token, user: r.user, errors, values: {} });
  }

  router.get('/registration/activate', (ctx) => showActivate(ctx, String(ctx.query.token ?? '')));

  router.post('/registration/activate', async (ctx) => {
    const raw = await body(ctx);
    const checked = check(schemas.activate, raw);
    if (!checked.ok) {
      if (checked.errors.token) return linkProblem(ctx, 'invalid');
      return showActivate(ctx, String(raw.token), { password: [{ key: 'registration.activate.error.password_required' }] });
    }
    const { token, password } = checked.data;
    const r = await service.activation.activate(token, password, ctx.ip);
    if (r.status === 'wrong_password') return showActivate(ctx, token, { password: [{ key: 'registration.activate.error.password' }] });
    if (r.status === 'ok') {
      const u = r.user!;
      return renderMessage(ctx, 200, 'registration.activated.title', u.username ? 'registration.activated.username' : 'registration.activated.email', {
        messageParams: { username: u.username ?? '', email: u.email ?? '' },
        actions: [{ href: '/', key: 'registration.action.home' }],
      });
    }
    linkProblem(ctx, r.status);
  });

  function linkProblem(ctx: Context, status: string) {
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
    renderMessage(ctx, code, `registration.link.${name}.title`, `registration.link.${name}.message`, { actions, messageParams: { hours: Math.round(config.activationTtl / 3600) } });
  }

  // A new activation mail: from the login page of a pending account, or typed into the form.
  router.get('/registration/resend', (ctx) => {
    renderPage(ctx, 'pages/registration/resend.njk', { titleKey: 'registration.resend.title', values: { identifier: typeof ctx.query.identifier === 'string' ? ctx.query.identifier : '' }, errors: {} });
  });

  router.post('/registration/resend', async (ctx) => {
    const raw = await body(ctx);
    const checked = check(schemas.resend, raw);
    if (!checked.ok) {
      ctx.status = 400;
      return renderPage(ctx, 'pages/registration/resend.njk', { titleKey: 'registration.resend.title', values: echo(raw), errors: checked.errors });
    }
    await take(limits.ip, ctx.ip);
    const identifier = checked.data.identifier;
    if (await mails.allow({ address: identifier, ip: ctx.ip })) await service.resend(identifier, ctx.ip);
    const back = typeof raw.return_to === 'string' ? safeReturnPath(raw.return_to, '') : '';
    renderMessage(ctx, 200, 'registration.resent.title', 'registration.resent.message', {
      messageParams: { hours: Math.round(config.activationTtl / 3600) },
      actions: back ? [{ href: back, key: 'registration.action.back_to_login' }] : [],
    });
  });

  return router;
}
