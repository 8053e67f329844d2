// The passkeys of the security page: adding one (named by the person) and removing one, each after a recent login
// (the password or a passkey typed in the last minutes, as for the e-mail address). The list itself is on the
// security page (./routes.ts).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { requireRecentLogin } from '../self/routes.ts';
import { fieldText, formInput } from '../../platform/web/form.ts';
import { reloadAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { audit } from '../../platform/audit.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { passkeysOf, removePasskey } from '../../domain/passkeys/repository.ts';
import { createPasskeyMethod, registrationForm, registrationFormErrors } from '../../methods/passkey/webauthn.ts';

export function passkeyAccountRoutes(services: Services): Router {
  const { db } = services;
  const router = createRouter();
  const recentlyLoggedIn = requireRecentLogin(services);
  const passkeys = createPasskeyMethod(services);
  const user = (ctx: Context) => ctx.state.user as User;

  function newPage(ctx: Context, errors: FormErrors = {}, name = '') {
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, '/account/passkeys/new');
    renderPage(ctx, 'pages/account/passkey-new.njk', { titleKey: 'passkeys.new.title', nav: 'security', errors, values: { name } });
  }

  router.get('/account/passkeys/new', recentlyLoggedIn, (ctx) => newPage(ctx));

  // Called by the page's script: the options for navigator.credentials.create, with the flow that keeps their challenge.
  router.post('/account/passkeys/options', recentlyLoggedIn, async (ctx) => {
    const binding = await services.flowStarts.forBrowser(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await passkeys.registrationOptions(db, user(ctx), binding, requestLocale(ctx));
  });

  router.post('/account/passkeys', recentlyLoggedIn, async (ctx) => {
    const { raw, parsed } = await formInput(ctx, registrationForm);
    const name = fieldText(raw.name).trim();
    if (!parsed.success) return newPage(ctx, registrationFormErrors(raw, parsed.error), name);
    try {
      await passkeys.register(db, user(ctx), {
        flowId: parsed.data.flow,
        binding: browserBinding(ctx),
        response: parsed.data.response,
        name: parsed.data.name,
        // The mail goes in the account's own language, as the account pages' other mails do.
        locale: localeOf(user(ctx), services.config.defaultLocale),
        ip: ctx.ip,
      });
    } catch (e) {
      if (!isAppError(e)) throw e;
      return newPage(ctx, formError('form', e.key, e.params), name);
    }
    ctx.redirect('/account/security?done=passkey_added#passkeys');
  });

  // Removal asks first on a page of its own, so that the login it may need comes back to the question.
  router.get('/account/passkeys/:id/remove', recentlyLoggedIn, async (ctx) => {
    const passkey = (await passkeysOf(db, user(ctx).id)).find((p) => p.id === ctx.params.id);
    if (!passkey)
      return renderMessage(ctx, 404, 'passkeys.remove.title', 'passkeys.error.gone', { actions: [{ href: '/account/security', key: 'passkeys.back' }] });
    renderPage(ctx, 'pages/account/passkey-remove.njk', { titleKey: 'passkeys.remove.title', nav: 'security', passkey });
  });

  router.post('/account/passkeys/:id/remove', recentlyLoggedIn, async (ctx) => {
    const u = user(ctx);
    const removed = await db.transaction(async (trx) => {
      const p = await removePasskey(trx, u.id, ctx.params.id ?? '');
      if (p) await audit(trx, 'passkey.removed', { userId: u.id, ip: ctx.ip, details: { passkey: p.id, aaguid: p.aaguid } });
      return p;
    });
    if (!removed)
      return renderMessage(ctx, 404, 'passkeys.remove.title', 'passkeys.error.gone', { actions: [{ href: '/account/security', key: 'passkeys.back' }] });
    ctx.redirect('/account/security?done=passkey_removed#passkeys');
  });

  return router;
}
