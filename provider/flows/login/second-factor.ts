// The second step of a password login, in the same interaction: the code from the authenticator app (or a recovery
// code) when the person has one, or, when the app or the request requires two factors and the person has none, the
// enrolment of one before going on. What the first step proved is kept in a signed cookie naming the interaction,
// so a step cannot be skipped by going to the next page, nor carried over to another login.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import type { TotpMethod } from '../../methods/second-factor/totp.ts';
import { parseBody } from '../../platform/web/form.ts';
import type { Locale } from '../../platform/web/i18n.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { isAppError } from '../../platform/errors.ts';
import { secondFactorMethod } from '../../methods/second-factor/factor.ts';
import { passwordMethod } from '../../methods/password/authenticate.ts';
import type { LoggedIn } from './logged-in.ts';
import { asksForMfa, MFA_REQUIRED } from '../../oidc/step-up.ts';

const COOKIE = 'second_factor';
const COOKIE_PATH = '/interaction';
// As long as a person may need to find the phone and add the app; the interaction itself lasts an hour.
const STEP_SECONDS = 900;

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

interface Pending {
  uid: string;
  userId: string;
  /** code: the app's code is asked; enrol: the app is being added; enrolled: added, the recovery codes were shown. */
  stage: 'code' | 'enrol' | 'enrolled';
}

const codeInput = z.object({ code: z.string().trim().min(1).max(40) });

export interface SecondFactorStepDeps {
  db: Db;
  users: UserRepository;
  totp: TotpMethod;
  /** The interaction's language, and a page rendered in it. */
  locale(ctx: Context, d: Interaction): Locale;
  show(ctx: Context, d: Interaction, template: string, context: Record<string, unknown> & { titleKey: string }): void;
  loggedIn: LoggedIn;
}

export function secondFactorStep({ db, users, totp, locale, show, loggedIn }: SecondFactorStepDeps) {
  function remember(ctx: Context, p: Pending) {
    ctx.cookies.set(COOKIE, JSON.stringify(p), signedCookie(ctx, { maxAge: STEP_SECONDS * 1000, path: COOKIE_PATH }));
  }

  async function pendingOf(ctx: Context, d: Interaction): Promise<{ p: Pending; user: User } | undefined> {
    const raw = ctx.cookies.get(COOKIE, { signed: true });
    let p: Pending | undefined;
    try {
      p = raw ? (JSON.parse(raw) as Pending) : undefined;
    } catch {
      p = undefined;
    }
    if (!p || p.uid !== d.uid || d.prompt.name !== 'login') return undefined;
    const user = await users.findById(db, p.userId);
    return user?.status === 'active' ? { p, user } : undefined;
  }

  async function done(ctx: Context, user: User) {
    ctx.cookies.set(COOKIE, null, { path: COOKIE_PATH });
    await loggedIn(ctx, secondFactorMethod.login({ user, factor: totp }));
  }

  async function codePage(ctx: Context, d: Interaction, error?: { key: string; params?: Record<string, unknown> }) {
    show(ctx, d, 'pages/second-factor/code.njk', { titleKey: 'second_factor.login.title', uid: d.uid, error: error?.key, errorParams: error?.params });
  }

  async function enrolPage(ctx: Context, d: Interaction, user: User, error?: string) {
    const enrolment = await totp.pending(user);
    if (!enrolment) return ctx.redirect(`/interaction/${d.uid}`);
    show(ctx, d, 'pages/second-factor/enrol.njk', {
      titleKey: 'second_factor.enrol.title',
      intro: 'second_factor.enrol.required',
      action: `/interaction/${d.uid}/second-factor/enrol`,
      enrolment,
      errors: error ? { code: { key: error } } : {},
    });
  }

  return {
    /**
     * After a right password: sends the browser to the second step and returns true when the login needs one —
     * the person has an app, or the relying app or the request requires two factors (then the app is added first).
     */
    async afterPassword(ctx: Context, d: Interaction, user: User): Promise<boolean> {
      if (await totp.isEnrolled(user)) remember(ctx, { uid: d.uid, userId: user.id, stage: 'code' });
      else if (asksForMfa(d.params, ctx.state.client)) {
        await totp.start(user);
        remember(ctx, { uid: d.uid, userId: user.id, stage: 'enrol' });
      } else return false;
      ctx.status = 303;
      ctx.redirect(`/interaction/${d.uid}/second-factor`);
      return true;
    },

    /**
     * A password session asked for two factors (step-up) by a person with an app: the password was given, so only
     * the code is asked. Adding an app takes the password again. Returns true when the browser was sent there.
     */
    async stepUp(ctx: Context, d: Interaction): Promise<boolean> {
      const reasons = d.prompt.reasons;
      if (reasons.length !== 1 || reasons[0] !== MFA_REQUIRED || d.session?.acr !== passwordMethod.acr) return false;
      const user = await users.findBySub(db, d.session.accountId);
      if (user?.status !== 'active' || !(await totp.isEnrolled(user))) return false;
      remember(ctx, { uid: d.uid, userId: user.id, stage: 'code' });
      ctx.redirect(`/interaction/${d.uid}/second-factor`);
      return true;
    },

    routes(router: Router) {
      router.get('/interaction/:uid/second-factor', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending) return ctx.redirect(`/interaction/${d.uid}`);
        if (pending.p.stage === 'enrol') return enrolPage(ctx, d, pending.user);
        return codePage(ctx, d);
      });

      router.post('/interaction/:uid/second-factor', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending || pending.p.stage !== 'code') return ctx.redirect(`/interaction/${d.uid}`);
        const parsed = codeInput.safeParse(await parseBody(ctx, z.record(z.string(), z.unknown())));
        if (!parsed.success) {
          ctx.status = 400;
          return codePage(ctx, d, { key: 'second_factor.login.error.required' });
        }
        try {
          const r = await totp.check(pending.user, parsed.data.code, ctx.ip);
          if (r.ok) return done(ctx, pending.user);
        } catch (e) {
          if (!(isAppError(e) && e.code === 'try_again')) throw e;
          ctx.status = 429;
          return codePage(ctx, d, { key: 'error.try_again', params: e.params });
        }
        ctx.status = 401;
        return codePage(ctx, d, { key: 'second_factor.login.error.wrong' });
      });

      router.post('/interaction/:uid/second-factor/enrol', async (ctx) => {
        const d = ctx.state.interaction as Interaction;
        const pending = await pendingOf(ctx, d);
        if (!pending || pending.p.stage !== 'enrol') return ctx.redirect(`/interaction/${d.uid}`);
        const parsed = codeInput.safeParse(await parseBody(ctx, z.record(z.string(), z.unknown())));
        let codes: string[] | undefined;
        try {
          codes = parsed.success ? await totp.confirm(pending.user, parsed.data.code, { ip: ctx.ip, locale: locale(ctx, d) }) : undefined;
        } catch (e) {
          if (!(isAppError(e) && e.code === 'try_again')) throw e;
          ctx.status = 429;
          return enrolPage(ctx, d, pending.user, 'second_factor.enrol.error.busy');
        }
        if (!codes) {
          ctx.status = 400;
          return enrolPage(ctx, d, pending.user, 'second_factor.enrol.error.wrong');
        }
        remember(ctx, { ...pending.p, stage: 'enrolled' });
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
        await done(ctx, pending.user);
      });
    },
  };
}

export type SecondFactorStep = ReturnType<typeof secondFactorStep>;
