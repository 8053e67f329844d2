// /account/security: the password (changed with the current one; the other sessions end), the passkeys
// (./passkeys.ts), the authenticator app (./second-factor.ts) and whether an eID card is linked (linked on /eid/link).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { controlCharacters, formInput } from '../../platform/web/form.ts';
import { reloadAt, renderPage } from '../../platform/web/page.ts';
import { rememberDevice } from '../../platform/web/devices.ts';
import { holdLogin } from '../login/held-login.ts';
import { createPasswordChange } from '../../domain/accounts/password-change.ts';
import { passkeysOf } from '../../domain/passkeys/repository.ts';
import { findLinkOfUser, formatCardNumber } from '../../domain/accounts/eid-links.ts';
import { createTotpMethod } from '../../methods/second-factor/totp.ts';
import { secondFactorAccountRoutes, totpSection } from './second-factor.ts';
import { doneOf } from './notices.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';

const passwordInput = z.object({ current: z.string().min(1).max(1024), password: z.string().min(1).max(1024), password_confirm: z.string().max(1024) });

export function accountSecurityRoutes(services: Services): Router {
  const { config, db } = services;
  const router = createRouter();
  const loggedIn = requireUser(services);
  const passwordChange = createPasswordChange(services);
  const totp = createTotpMethod(config, db);
  const user = (ctx: Context) => ctx.state.user as User;
  const sid = (ctx: Context) => (ctx.state.appSession as { sid: string }).sid;

  async function securityPage(ctx: Context, errors: FormErrors = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    const link = await findLinkOfUser(db, user(ctx).id);
    reloadAt(ctx, '/account/security');
    renderPage(ctx, 'pages/account/security.njk', {
      titleKey: 'account.security.title',
      nav: 'security',
      rules: passwordChange.policy.rulesFor({ username: Boolean(user(ctx).username) }),
      errors,
      passkeys: await passkeysOf(db, user(ctx).id),
      done: doneOf(ctx),
      totp: await totpSection(totp, user(ctx)),
      // The card number as printed on the card, and when it was linked: never the national number's HMAC.
      eidLink: link && { cardNumber: link.card_number ? formatCardNumber(link.card_number) : undefined, linkedAt: link.linked_at },
    });
  }

  router.get('/account/security', loggedIn, (ctx) => securityPage(ctx));

  router.post('/account/password', loggedIn, async (ctx) => {
    const { parsed } = await formInput(ctx, passwordInput);
    if (!parsed.success) return securityPage(ctx, controlCharacters(parsed.error) ?? formError('form', 'account.password.error.required'));
    if (parsed.data.password !== parsed.data.password_confirm) return securityPage(ctx, formError('password_confirm', 'account.password.error.mismatch'));
    const r = await passwordChange.change(
      user(ctx),
      { current: parsed.data.current, next: parsed.data.password },
      // Mails go out in the account's language, not the page's: the person chose it on /account.
      { keepSessionUid: sid(ctx), locale: localeOf(user(ctx), config.defaultLocale), ip: ctx.ip },
    );
    if (r.ok) {
      // The session it was changed from stays, and so does its browser's standing as the owner's.
      rememberDevice(ctx, { id: user(ctx).id, access_generation: r.accessGeneration });
      holdLogin(ctx, { id: user(ctx).id, access_generation: r.accessGeneration }, config.sessionTtl);
      return ctx.redirect('/account/security?done=password_changed');
    }
    if (r.problem === 'policy') return securityPage(ctx, { password: [{ key: 'account.password.error.policy' }, ...r.failures] });
    if (r.problem === 'rate_limited') return securityPage(ctx, formError('current', 'error.too_many_wait', { wait: r.wait }));
    return securityPage(ctx, formError('current', 'account.password.error.current'));
  });

  router.use(secondFactorAccountRoutes(services, totp).routes());
  return router;
}
