// What the sign-up pages of every mode share, built once per process: the stored flow of a sign-up, its limits, the
// form pages, and `complete`, which creates the account and moves the flow in one transaction.
import { browserBinding } from '../../domain/flow-state/binding.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { cameFrom } from '../done/came-from.ts';
import type { Services } from '../../app/services.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { consumeOrRefuse, consumeWithin, createLimiter, type Limiter } from '../../domain/guards/rate-limit.ts';
import { createRecipientQuota } from '../../domain/guards/recipient-quota.ts';
import { clientAddressKey, keyOf } from '../../domain/guards/throttle.ts';
import { bodyFields } from '../../platform/web/form.ts';
import { noSoonerThan } from '../../platform/web/even-answer.ts';
import { reloadAt, renderPage, safeReturnPath } from '../../platform/web/page.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { createRegistrationService, type SignUp, type SignUpResult } from './service.ts';
import { check, echo, fieldLimits } from './forms.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
import { registrationErrors } from './errors.ts';
import type { Knex } from 'knex';
import type { z } from 'zod';
import type { CardStep } from '../../methods/eid-card/card-step.ts';
import { captchaRefusal, type Captcha } from '../../domain/guards/captcha.ts';

export type Mode = 'open' | 'invitation' | 'customer' | 'eid';

/** The client's address as the sign-up limits count it: an IPv6 client holds a whole /64, and is counted by it. */
export const addressOf = (ctx: Context): string => clientAddressKey(ctx.ip ?? 'unknown');

export type FlowData = {
  mode: Mode;
  returnTo?: string;
  invitationId?: string;
  username?: string;
  email?: string;
  /** eID: the card read at the first step (the national number only as its HMAC). */
  card?: { hmac: string; givenNames: string; surname: string; cardNumber?: string | undefined };
  /**
   * Open sign-up again after a link mailed to this address (links.ts): shown filled in, and a sign-up with this
   * address (normalised as the mail quota counts it) is mailed past the address's ceiling.
   */
  provenEmail?: string;
  /** The digest of the link that proved it: each link lets one sign-up past the ceiling (`limits.proof`). */
  provenBy?: string;
};

export const FLOW = 'registration';
/** Names the pending account of this browser's last open sign-up: signing up again from it replaces that account. */
export const SIGN_UP_COOKIE = 'sign_up';
/** Binds an eID sign-up to the browser that read the card: its flow holds the card holder's identity. */
/** Long enough to fill in a form at leisure; a flow only holds what the form needs. */
export const FORM_TTL = 3 * 3600;

export function createRegistrationSteps(services: Services, captcha: Captcha, cards: CardStep) {
  const { config, db, flows, hasher } = services;
  const service = createRegistrationService(services);
  const policy = createPasswordPolicy(config);
  const limiter = (keyPrefix: string, points: number, durationSeconds: number): Limiter => createLimiter(db, { keyPrefix, points, durationSeconds });
  const limits = {
    ip: limiter('registration_ip', config.rateLimitRegistration, 3600),
    invitation: limiter('registration_invitation', config.rateLimitInvitation, 900),
    customer: limiter('registration_customer', config.rateLimitCustomer, 3600),
    // One sign-up past the address's ceiling per mailed link, for as long as a link lives: else whoever holds an old
    // link (a forwarded mail) could mail the address past its ceiling again and again.
    proof: limiter('registration_address_proof', 1, config.activationTtl),
  };
  // Mails to one address or account per requester and hour, under the address's ceiling: past them the answer
  // stays the same and no mail goes out.
  const mails = createRecipientQuota(db, {
    name: 'registration_mail',
    perRequester: { points: config.rateLimitRegistrationMails, seconds: 3600 },
    perAddress: { points: config.rateLimitAddressMails, seconds: 3600 },
  });

  /** The modes offered: REGISTRATION_MODES, and the eID card with EID_REGISTRATION. */
  const modes: Mode[] = [...config.registrationModes, ...(config.eidRegistration ? (['eid'] as const) : [])];
  const enabled = (mode: Mode) => {
    if (!modes.includes(mode)) throw registrationErrors.modeDisabled();
  };

  /** Throws the "too many attempts" page when `key` is over its limit. */
  const take = (l: Limiter, key: string) => consumeOrRefuse(l, key);

  // Only an invitation comes with a username (open, customer and eID sign-up have none).
  const common = (template: string) => ({
    rules: policy.rulesFor({ username: template === 'details' }),
    termsVersion: config.termsVersion,
    privacyVersion: config.privacyVersion,
    termsUrl: config.termsUrl,
    privacyUrl: config.privacyUrl,
    limits: fieldLimits,
  });

  async function newFlow(ctx: Context, data: FlowData): Promise<Flow<FlowData>> {
    const returnTo = typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined;
    return flows.create<FlowData>(db, {
      type: FLOW,
      state: 'form',
      binding: await services.flowStarts.forBrowser(ctx),
      data: { ...data, ...(returnTo ? { returnTo } : {}) },
      ttlSeconds: FORM_TTL,
    });
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

  const TITLES = {
    open: 'registration.open.title',
    customer: 'registration.customer.title',
    details: 'registration.details.title',
    eid: 'registration.eid.title',
  };

  function showForm(
    ctx: Context,
    template: keyof typeof TITLES,
    flow: Flow<FlowData>,
    extra: { values?: Record<string, string>; errors?: FormErrors; [k: string]: unknown } = {},
  ) {
    if (extra.errors && Object.keys(extra.errors).length) ctx.status = 400;
    renderPage(ctx, `pages/registration/${template}.njk`, {
      titleKey: TITLES[template],
      flow: flow.id,
      values: {},
      errors: {},
      provenEmail: flow.data.provenEmail,
      // The way back to the login the person came from (or the account pages'), as on the recovery form.
      back: flow.data.returnTo ?? '/account',
      ...common(template),
      ...extra,
    });
  }

  const signUpOf = async (
    ctx: Context,
    flow: Flow<FlowData>,
    d: { email: string; password: string; given_name?: string; family_name?: string },
  ): Promise<SignUp> => ({
    email: d.email,
    givenName: d.given_name ?? null,
    familyName: d.family_name ?? null,
    passwordHash: await hasher.hash(d.password),
    locale: requestLocale(ctx),
    acceptedAt: new Date(),
    ip: ctx.ip,
    from: cameFrom(ctx, flow.data.returnTo),
  });

  /**
   * Runs the sign-up and moves the flow in one transaction; a flow another request already moved means this is
   * a double submission, which gets the same page and does nothing. `mailKey` names whom the mails go to.
   */
  async function complete(ctx: Context, flow: Flow<FlowData>, mailKey: string, data: Partial<FlowData>, run: (trx: Knex) => Promise<SignUpResult>) {
    const started = performance.now();
    // An invitation's sign-up counts against its slip, one per pupil, which its first step proved: counted per
    // address, a class behind the school's one address would spend the allowance in a lesson.
    const slip = flow.data.mode === 'invitation' ? flow.data.username : undefined;
    await (slip ? take(limits.invitation, slip.toLowerCase()) : take(limits.ip, addressOf(ctx)));
    // A sign-up again after a link to this very address (links.ts): its mail is not held back by the ceiling, which
    // someone else's sign-ups with her address may have filled. Counted still, against this requester's allowance.
    const proven =
      flow.data.provenEmail !== undefined &&
      flow.data.provenBy !== undefined &&
      keyOf(flow.data.provenEmail) === keyOf(mailKey) &&
      (await consumeWithin(limits.proof, flow.data.provenBy)) !== undefined;
    const mail = await mails.allow({ address: mailKey, ip: ctx.ip, provenAddress: proven });
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
    // An address with an account gets a mail saying so, a new one a pending account: other work, the same time.
    await noSoonerThan(started, config.signUpResponseMs);
    sentPage(ctx, flow);
  }

  /**
   * The routes of a one-page sign-up form (open, customer): GET starts a flow and shows the form; POST checks
   * the input, the password rules and the CAPTCHA, shows the errors next to the fields, or hands the data to `accept`.
   */
  function signUpForm<S extends z.ZodType>(
    router: Router,
    mode: 'open' | 'customer',
    schema: S,
    accept: (ctx: Context, flow: Flow<FlowData>, data: z.output<S>, reshow: (errors: FormErrors) => void) => Promise<void>,
  ) {
    router.get(`/registration/${mode}`, async (ctx) => {
      enabled(mode);
      // A flow started elsewhere (a sign-up again after a mailed link, links.ts): its form, the proven address filled in.
      if (typeof ctx.query.flow === 'string') {
        const flow = await loadFlow(ctx, ctx.query.flow, mode);
        if (flow.state !== 'form') return sentPage(ctx, flow);
        return showForm(ctx, mode, flow, { values: flow.data.provenEmail ? { email: flow.data.provenEmail } : {}, captcha });
      }
      showForm(ctx, mode, await newFlow(ctx, { mode }), { captcha });
    });
    router.post(`/registration/${mode}`, async (ctx) => {
      enabled(mode);
      const raw = await bodyFields(ctx);
      const flow = await loadFlow(ctx, raw.flow, mode);
      if (flow.state !== 'form') return sentPage(ctx, flow);
      // A reload shows this flow's form again where it was started elsewhere: a new flow would lose the proven address.
      if (flow.data.provenEmail) reloadAt(ctx, `/registration/${mode}?${new URLSearchParams({ flow: flow.id })}`);
      const reshow = (errors: FormErrors) => showForm(ctx, mode, flow, { values: echo(raw), errors, captcha });
      const checked = check(schema, raw, policy, (d) => ({ email: d.email as string }));
      if (!checked.ok) return reshow(checked.errors);
      // Before `accept` counts, looks up or mails anything: a script's sign-ups cost it the proof of work each.
      const refusal = await captchaRefusal(captcha, raw);
      if (refusal) return reshow(refusal);
      await accept(ctx, flow, checked.data, reshow);
    });
  }

  return {
    services,
    config,
    db,
    flows,
    hasher,
    cards,
    captcha,
    service,
    policy,
    limits,
    mails,
    modes,
    enabled,
    take,
    newFlow,
    loadFlow,
    sentPage,
    showForm,
    signUpOf,
    complete,
    signUpForm,
  };
}

export type RegistrationSteps = ReturnType<typeof createRegistrationSteps>;
