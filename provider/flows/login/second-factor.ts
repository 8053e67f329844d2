// The second step of a login, in the same interaction: the code from the authenticator app (or a recovery code), or
// a passkey of the account, when the person has them; or, when the app or the request requires two factors and the
// person has none, the enrolment of an app or of a passkey of this device before going on. The first step is a
// password, or an upstream's login that did not prove two factors (../upstream/routes.ts). What the first step proved
// is kept in a signed cookie naming the interaction, so a step cannot be skipped by going to the next page, nor
// carried over to another login.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import type { TotpMethod } from '../../methods/second-factor/totp.ts';
import type { PasskeyFactor } from '../../methods/second-factor/passkey.ts';
import { controlCharacters, formInput } from '../../platform/web/form.ts';
import type { Locale } from '../../platform/web/i18n.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import { secondFactorMethod, type SecondFactor } from '../../methods/second-factor/factor.ts';
import type { LoggedIn } from './logged-in.ts';
import { acceptedAcrs, asksForMfa, MFA_REQUIRED } from '../../oidc/step-up.ts';
import { passkeyStepRoutes, type Interaction } from './second-factor-passkey.ts';
import { passkeyEnrolPath, passkeyEnrolRoutes } from './second-factor-passkey-enrol.ts';
import type { FlowStarts } from '../../domain/flow-state/binding.ts';

const COOKIE = 'second_factor';
const COOKIE_PATH = '/interaction';
// As long as a person may need to find the phone and add the app; the interaction itself lasts an hour.
const STEP_SECONDS = 900;

const pendingStep = z.object({
  uid: z.string(),
  userId: z.string(),
  /** code: the app's code or a passkey is asked; enrol: an app or a passkey is being added; enrolled: the app was added, its codes shown. */
  stage: z.enum(['code', 'enrol', 'enrolled']),
  /** The amr of the first step: the password's, or the upstream's. */
  first: z.array(z.string()),
  /** The account's access generation at the first step: a new password (or a block) since ends what it proved. */
  generation: z.number().int(),
});
type Pending = z.infer<typeof pendingStep>;

/** The person's second factors, as the second step offers them. */
export interface SecondFactors {
  totp: TotpMethod;
  passkey: PasskeyFactor;
}

/** Keeps what the first step proved for the interaction's second step. */
function rememberStep(ctx: Context, p: Pending) {
  ctx.cookies.set(COOKIE, JSON.stringify(p), signedCookie(ctx, { maxAge: STEP_SECONDS * 1000, path: COOKIE_PATH }));
}

/**
 * After a first step that proved `user`: sends the browser to the second step and returns true when the login needs
 * one. A person with an app is always asked (it is what they chose); one with passkeys only, when two factors are
 * `required` (a lost phone then keeps no one from a plain login); one with neither adds an app when they are required.
 */
export async function toSecondStep(ctx: Context, factors: SecondFactors, uid: string, user: User, o: { first: readonly string[]; required: boolean }) {
  // The passkeys matter only where the app does not decide: a plain login of a person without one asks nothing more.
  const app = await factors.totp.isEnrolled(user);
  const stage = app || (o.required && (await factors.passkey.isEnrolled(user))) ? 'code' : o.required ? 'enrol' : undefined;
  if (!stage) return false;
  if (stage === 'enrol') await factors.totp.start(user);
  rememberStep(ctx, { uid, userId: user.id, stage, first: [...o.first], generation: user.access_generation });
  ctx.status = 303;
  ctx.redirect(`/interaction/${uid}/second-factor`);
  return true;
}

const codeInput = z.object({ code: z.string().trim().min(1).max(40) });

export interface SecondFactorStepDeps extends SecondFactors {
  db: Db;
  users: UserRepository;
  /** Bindings for the passkey's challenges. */
  flowStarts: FlowStarts;
  /** The interaction's language, and a page rendered in it. */
  locale(ctx: Context, d: Interaction): Locale;
  show(ctx: Context, d: Interaction, template: string, context: Record<string, unknown> & { titleKey: string }): void;
  loggedIn: LoggedIn;
}

export function secondFactorStep(deps: SecondFactorStepDeps) {
  const { db, users, totp, passkey, locale, show, loggedIn } = deps;
  /** Whether the account has a second factor to be asked: an authenticator app or a passkey. */
  const hasSecondFactor = async (user: User) => (await totp.isEnrolled(user)) || (await passkey.isEnrolled(user));

  async function pendingOf(ctx: Context, d: Interaction): Promise<{ p: Pending; user: User } | undefined> {
    const raw = ctx.cookies.get(COOKIE, { signed: true });
    let p: Pending | undefined;
    try {
      // Signed by us, yet read as any input is: one of another shape sends the person back to the login.
      p = raw ? pendingStep.parse(JSON.parse(raw)) : undefined;
    } catch {
      p = undefined;
    }
    if (!p || p.uid !== d.uid || d.prompt.name !== 'login') return undefined;
    const user = await users.findById(db, p.userId);
    if (user?.status !== 'active' || user.access_generation !== p.generation) return undefined;
    // An enrolment is for a person without a second factor: one added since (on the security page, in another tab)
    // ends it, or whoever has only the password could add their own with the cookie of a login begun before.
    if (p.stage === 'enrol' && (await hasSecondFactor(user))) return undefined;
    return { p, user };
  }

  /** The login ends with both steps: the first's amr and the second factor's (RFC 8176: otp, hwk). */
  async function done(ctx: Context, pending: { p: Pending; user: User }, factor: Pick<SecondFactor, 'kind' | 'amr'>) {
    ctx.cookies.set(COOKIE, null, { path: COOKIE_PATH });
    await loggedIn(ctx, secondFactorMethod.login({ user: pending.user, factor, first: pending.p.first }));
  }

  /** The second step's page: the app's code, a passkey, or both, as the person has them. */
  async function codePage(ctx: Context, d: Interaction, user: User, errors: FormErrors = {}) {
    const [app, key] = await Promise.all([totp.isEnrolled(user), passkey.isEnrolled(user)]);
    show(ctx, d, 'pages/second-factor/code.njk', {
      titleKey: app ? 'second_factor.login.title' : 'second_factor.login.passkey_title',
      uid: d.uid,
      app,
      passkey: key,
      errors,
    });
  }

  /** The enrolment's page: the app to add, or a passkey of this device where the browser can make one. */
  async function enrolPage(ctx: Context, d: Interaction, user: User, errors: FormErrors = {}, name = '') {
    const enrolment = await totp.pending(user);
    if (!enrolment) return ctx.redirect(`/interaction/${d.uid}`);
    show(ctx, d, 'pages/second-factor/enrol.njk', {
      titleKey: 'second_factor.enrol.login_title',
      intro: 'second_factor.enrol.required',
      action: `/interaction/${d.uid}/second-factor/enrol`,
      passkeyAction: passkeyEnrolPath(d.uid),
      enrolment,
      errors,
      values: { name },
    });
  }

  return {
    /** After a right password: the second step when the person or the login needs one (toSecondStep). */
    afterPassword: (ctx: Context, d: Interaction, user: User) =>
      toSecondStep(ctx, deps, d.uid, user, { first: AMR.password, required: asksForMfa(d.params, ctx.state.client) }),

    /**
     * A session of one factor (a password, an upstream) asked for two (step-up) by a person with an app or a
     * passkey: the first step was taken, so only the second is asked. Adding an app takes the password again.
     * Returns true when the browser was sent there.
     */
    async stepUp(ctx: Context, d: Interaction): Promise<boolean> {
      const reasons = d.prompt.reasons;
      // oidc-provider adds its own reason for an essential acr claim; the second step meets it where mfa is accepted.
      const met = [MFA_REQUIRED, ...(acceptedAcrs(d.params)?.includes(ACR.mfa) ? ['essential_acr', 'essential_acrs'] : [])];
      if (!reasons.includes(MFA_REQUIRED) || !reasons.every((r) => met.includes(r)) || !d.session?.accountId) return false;
      const user = await users.findBySub(db, d.session.accountId);
      if (user?.status !== 'active' || !(await hasSecondFactor(user))) return false;
      rememberStep(ctx, { uid: d.uid, userId: user.id, stage: 'code', first: d.session.amr ?? [...AMR.password], generation: user.access_generation });
      ctx.redirect(`/interaction/${d.uid}/second-factor`);
      return true;
    },

    routes(router: Router) {
      router.get('/interaction/:uid/second-factor', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending) return ctx.redirect(`/interaction/${d.uid}`);
        if (pending.p.stage === 'enrol') return enrolPage(ctx, d, pending.user);
        return codePage(ctx, d, pending.user);
      });

      router.post('/interaction/:uid/second-factor', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending || pending.p.stage !== 'code') return ctx.redirect(`/interaction/${d.uid}`);
        const { parsed } = await formInput(ctx, codeInput);
        if (!parsed.success) {
          ctx.status = 400;
          return codePage(ctx, d, pending.user, controlCharacters(parsed.error) ?? formError('code', 'second_factor.login.error.required'));
        }
        try {
          const r = await totp.check(pending.user, parsed.data.code, ctx.ip);
          if (r.ok) return done(ctx, pending, totp);
        } catch (e) {
          if (!(isAppError(e) && e.code === 'try_again')) throw e;
          ctx.status = 429;
          return codePage(ctx, d, pending.user, formError('form', 'error.try_again', e.params));
        }
        ctx.status = 401;
        return codePage(ctx, d, pending.user, formError('code', 'second_factor.login.error.wrong'));
      });

      router.post('/interaction/:uid/second-factor/enrol', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending || pending.p.stage !== 'enrol') return ctx.redirect(`/interaction/${d.uid}`);
        const { parsed } = await formInput(ctx, codeInput);
        let codes: string[] | undefined;
        try {
          codes = parsed.success ? await totp.confirm(pending.user, parsed.data.code, { ip: ctx.ip, locale: locale(ctx, d) }) : undefined;
        } catch (e) {
          if (!(isAppError(e) && e.code === 'try_again')) throw e;
          ctx.status = 429;
          return enrolPage(ctx, d, pending.user, formError('code', 'second_factor.enrol.error.busy'));
        }
        if (!codes) {
          ctx.status = 400;
          return enrolPage(ctx, d, pending.user, (!parsed.success && controlCharacters(parsed.error)) || formError('code', 'second_factor.enrol.error.wrong'));
        }
        rememberStep(ctx, { ...pending.p, stage: 'enrolled' });
        show(ctx, d, 'pages/second-factor/recovery-codes.njk', {
          titleKey: 'second_factor.recovery.title',
          codes,
          action: `/interaction/${d.uid}/second-factor/continue`,
        });
      });

      router.post('/interaction/:uid/second-factor/continue', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending || pending.p.stage !== 'enrolled') return ctx.redirect(`/interaction/${d.uid}`);
        await done(ctx, pending, totp);
      });

      passkeyStepRoutes(router, { ...deps, pendingOf, codePage, done });
      passkeyEnrolRoutes(router, { ...deps, pendingOf, enrolPage, done });
    },
  };
}

export type SecondFactorStep = ReturnType<typeof secondFactorStep>;
