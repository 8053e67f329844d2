// The language of a request: ui_locales (from the query or the authorization request), then the cookie set by
// the language switch, then Accept-Language, then DEFAULT_LOCALE.
import type { Context } from 'koa';
import { LANGUAGE_COOKIE, pickLocale, type Locale } from './i18n.ts';

let fallback: Locale = 'en';
export const setDefaultLocale = (l: Locale) => {
  fallback = l;
};

export function requestLocale(ctx: Context, uiLocales?: string): Locale {
  const query = typeof ctx.query?.ui_locales === 'string' ? ctx.query.ui_locales : undefined;
  return (
    pickLocale(uiLocales, query, ctx.cookies.get(LANGUAGE_COOKIE), ctx.get('accept-language')) ?? fallback
  );
}
