// The visible language switch: remembers the choice in a cookie and goes back to the page it came from.
import type Router from '@koa/router';
import { createRouter } from './router.ts';
import { isLocale } from './i18n.ts';
import { rememberLanguage } from './locale.ts';
import { safeReturnPath } from './page.ts';

export function languageRoutes(): Router {
  const router = createRouter();
  router.get('/language/:locale', (ctx) => {
    const { locale } = ctx.params;
    if (!isLocale(locale)) return ctx.throw(404);
    rememberLanguage(ctx, locale);
    // ui_locales in the return address would win over the new choice: drop it.
    const back = new URL(safeReturnPath(ctx.query.return_to), 'http://x');
    back.searchParams.delete('ui_locales');
    ctx.redirect(back.pathname + back.search);
  });
  return router;
}
