// The authenticator app on /account/security: added with a first code from the app (the recovery codes are then
// shown once), removed with a click. Both ask for the password again when it was given more than a few minutes
// ago: a borrowed session must not be enough to add one's own app to someone's account, or to take theirs away.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import type { TotpMethod } from '../../methods/second-factor/totp.ts';
import { requireRecentLogin } from '../self/routes.ts';
import { controlCharacters, formInput } from '../../platform/web/form.ts';
import { reloadAt, renderPage } from '../../platform/web/page.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { requestLocale } from '../../platform/web/locale.ts';

const codeInput = z.object({ code: z.string().trim().min(1).max(40) });

/** What the security page's section shows. */
export async function totpSection(totp: TotpMethod, user: User) {
  const enrolled = await totp.isEnrolled(user);
  return { enrolled, codesLeft: enrolled ? await totp.recoveryCodesLeft(user) : 0 };
}

export function secondFactorAccountRoutes(services: Services, totp: TotpMethod): Router {
  const { db } = services;
  const router = createRouter();
  const recentlyLoggedIn = requireRecentLogin(services);
  const user = (ctx: Context) => ctx.state.user as User;

  async function enrolPage(ctx: Context, errors: FormErrors = {}) {
    const enrolment = await totp.pending(user(ctx));
    if (!enrolment) return ctx.redirect('/account/security');
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, '/account/security/totp');
    renderPage(ctx, 'pages/second-factor/enrol.njk', {
      titleKey: 'second_factor.enrol.title',
      nav: 'security',
      action: '/account/security/totp/confirm',
      enrolment,
      errors,
    });
  }

  router.post('/account/security/totp', recentlyLoggedIn, async (ctx) => {
    await totp.start(user(ctx));
    ctx.redirect('/account/security/totp');
  });

  router.get('/account/security/totp', recentlyLoggedIn, (ctx) => enrolPage(ctx));

  router.post('/account/security/totp/confirm', recentlyLoggedIn, async (ctx) => {
    const { parsed } = await formInput(ctx, codeInput);
    let codes: string[] | undefined;
    try {
      codes = parsed.success ? await totp.confirm(user(ctx), parsed.data.code, { ip: ctx.ip, locale: requestLocale(ctx) }) : undefined;
    } catch (e) {
      if (!(isAppError(e) && e.code === 'try_again')) throw e;
      return enrolPage(ctx, formError('code', 'second_factor.enrol.error.busy'));
    }
    if (!codes) return enrolPage(ctx, (!parsed.success && controlCharacters(parsed.error)) || formError('code', 'second_factor.enrol.error.wrong'));
    renderPage(ctx, 'pages/second-factor/recovery-codes.njk', { titleKey: 'second_factor.recovery.title', nav: 'security', codes });
  });

  router.post('/account/security/totp/remove', recentlyLoggedIn, async (ctx) => {
    await db.transaction((trx) => totp.remove(trx, user(ctx), 'self', { ip: ctx.ip, locale: requestLocale(ctx) }));
    ctx.redirect('/account/security?done=totp_removed');
  });

  return router;
}
