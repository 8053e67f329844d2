// The sessions and connected apps of /account/sessions: each can be ended; ending the session in use logs out.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { renderPage } from '../../platform/web/page.ts';
import { listConnectedApps, listSessions, revokeApp, revokeSession } from '../../oidc/account-sessions.ts';
import { audit } from '../../platform/audit.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { hasGeoIp } from '../../platform/web/geoip.ts';
import { doneOf } from './notices.ts';
import { forgetLogin } from '../login/held-login.ts';

export function accountSessionRoutes(services: Services): Router {
  const { db } = services;
  const router = createRouter();
  const loggedIn = requireUser(services);
  const user = (ctx: Context) => ctx.state.user as User;
  const sid = (ctx: Context) => (ctx.state.appSession as { sid: string }).sid;

  router.get('/account/sessions', loggedIn, async (ctx) => {
    const u = user(ctx);
    const provider = services.provider();
    const [sessions, apps] = await Promise.all([listSessions(db, provider, u.sub, sid(ctx), requestLocale(ctx)), listConnectedApps(db, provider, u.sub)]);
    renderPage(ctx, 'pages/account/sessions.njk', {
      titleKey: 'account.sessions.title',
      nav: 'sessions',
      sessions,
      apps,
      places: hasGeoIp(),
      done: doneOf(ctx),
    });
  });

  router.post('/account/sessions/:uid/revoke', loggedIn, async (ctx) => {
    const u = user(ctx);
    const uid = ctx.params.uid ?? '';
    if (await revokeSession(db, u.sub, uid)) await audit(db, 'session_revoked', { userId: u.id, ip: ctx.ip, details: { current: uid === sid(ctx) } });
    // Ending the session in use logs this browser out: the next page asks for a login, as after any logout.
    if (uid === sid(ctx)) forgetLogin(ctx);
    ctx.redirect(uid === sid(ctx) ? '/' : '/account/sessions?done=session_revoked');
  });

  router.post('/account/apps/:clientId/revoke', loggedIn, async (ctx) => {
    const u = user(ctx);
    const clientId = ctx.params.clientId ?? '';
    if (await revokeApp(db, u.sub, clientId)) await audit(db, 'app_revoked', { userId: u.id, ip: ctx.ip, details: { clientId } });
    ctx.redirect('/account/sessions?done=app_revoked');
  });

  return router;
}
