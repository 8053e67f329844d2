// Logging in with a passkey from the login page: the button, and the passkeys the browser offers in the username
// field's autofill (conditional UI). No username, no password: the passkey names its account. The login ends as the
// password's does (audit, a waiting deletion cancelled, the browser remembered), asserting acr urn:belid:acr:passkey.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context, Next } from 'koa';
import type { Services } from '../../app/services.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { body } from '../../platform/web/form.ts';
import { renderMessage } from '../../platform/web/page.ts';
import { audit } from '../../platform/audit.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { createPasskeyMethod, loginForm, passkeyMethod } from '../../methods/passkey/webauthn.ts';
import { loggedInStep } from './logged-in.ts';
import { notActiveMessage } from '../../domain/accounts/not-active.ts';
import { wayRefusal } from '../../oidc/step-up.ts';

// @simplewebauthn/browser's one-file build (it sets window.SimpleWebAuthnBrowser), served from its package as is.
const BROWSER_SCRIPT = fileURLToPath(new URL('../dist/bundle/index.umd.min.js', import.meta.resolve('@simplewebauthn/browser')));

/** Serves that script at /static/webauthn.js, beside the other static files (no page route, no CSRF cookie). */
export function passkeyBrowserScript() {
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== '/static/webauthn.js' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.body = await readFile(BROWSER_SCRIPT);
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
  };
}

export function passkeyLoginRoutes(services: Services): Router {
  const { db, provider } = services;
  const passkeys = createPasskeyMethod(services);
  const loggedIn = loggedInStep(services);
  const router = createRouter();

  async function interaction(ctx: Context) {
    const d = await provider().interactionDetails(ctx.req, ctx.res);
    if (d.uid !== ctx.params.uid || d.prompt.name !== 'login') throw new AppError('flow_unknown', 'error.flow_unknown', 400);
    // A relying app that asks for the eID card gets the card, not a passkey; one that lists acr values without the
    // passkey's would only ask for another login after it.
    const refusal = wayRefusal(d.params, 'passkey');
    if (refusal) throw new AppError('passkey_not_enough', refusal, 403);
    return d;
  }

  router.post('/interaction/:uid/passkey/options', async (ctx) => {
    const d = await interaction(ctx);
    const binding = await services.flowStarts.forLogin(ctx, d.uid);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await passkeys.authenticationOptions(db, binding, { uid: d.uid });
  });

  router.post('/interaction/:uid/passkey', async (ctx) => {
    const d = await interaction(ctx);
    const again = { actions: [{ href: `/interaction/${d.uid}`, key: 'passkeys.login.again' }] };
    try {
      const input = loginForm.safeParse(await body(ctx));
      if (!input.success) throw new AppError('passkey_invalid', 'passkeys.error.invalid', 400);
      const { user, passkey } = await passkeys.authenticate<{ uid: string }>(db, {
        flowId: input.data.flow,
        binding: browserBinding(ctx),
        response: input.data.response,
        owner: (data) => data.uid === d.uid,
        ip: ctx.ip,
      });
      if (user.status !== 'active') {
        await audit(db, 'login.refused', { userId: user.id, ip: ctx.ip, details: { method: passkeyMethod.id, status: user.status } });
        const message = await notActiveMessage(db, user);
        return renderMessage(ctx, 403, 'passkeys.login.refused', message, {
          actions: message === 'reactivation.login_blocked' ? [{ href: '/reactivation', key: 'eid.login.reactivate' }] : [],
        });
      }
      await loggedIn(ctx, passkeyMethod.login({ user, passkey }));
    } catch (e) {
      if (!isAppError(e)) throw e;
      renderMessage(ctx, e.status, 'passkeys.login.refused', e.key, { ...again, messageParams: e.params });
    }
  });

  return router;
}
