// The visible language switch: remembers the choice in a cookie and goes back to the page it came from.
import Router from '@koa/router';
import { LANGUAGE_COOKIE, LANGUAGE_CHOSEN_AT_COOKIE, isLocale } from './i18n.ts';
import { safeReturnPath } from './page.ts';

export function languageRoutes(): Router {
  const router = new Router();
  router.get('/language/:locale', (ctx) => {
    if (!isLocale(ctx.params.locale)) ctx.throw(404);
    const cookie = { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 24 * 3600 * 1000 } as const;
    ctx.cookies.set(LANGUAGE_COOKIE, ctx.params.locale, cookie);
    ctx.cookies.set(LANGUAGE_CHOSEN_AT_COOKIE, String(Math.floor(Date.now() / 1000)), cookie);
    // ui_locales in the return address would win over the new choice: drop it.
    const back = new URL(safeReturnPath(ctx.query.return_to), 'http://x');
    back.searchParams.delete('ui_locales');
    ctx.redirect(back.pathname + back.search);
  });
  return router;
}
