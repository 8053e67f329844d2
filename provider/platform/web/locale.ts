// The language of a request: ui_locales (from the query or the authorization request), then the cookie set by
// the language switch, then Accept-Language, then DEFAULT_LOCALE. A switch used after the relying app sent
// ui_locales is the newer, explicit choice and wins over it.
import type { Context } from 'koa';
import { LANGUAGE_COOKIE, LANGUAGE_CHOSEN_AT_COOKIE, pickLocale, type Locale } from './i18n.ts';

let fallback: Locale = 'en';
export const setDefaultLocale = (l: Locale) => {
  fallback = l;
};

/** `uiLocalesSince`: epoch seconds at which `uiLocales` was given (the authorization request's time). */
export function requestLocale(ctx: Context, uiLocales?: string, uiLocalesSince?: number): Locale {
  const query = typeof ctx.query?.ui_locales === 'string' ? ctx.query.ui_locales : undefined;
  const chosen = ctx.cookies.get(LANGUAGE_COOKIE);
  const chosenAt = Number(ctx.cookies.get(LANGUAGE_CHOSEN_AT_COOKIE) ?? 0);
  const hint = uiLocales ?? query;
  const order = uiLocalesSince !== undefined && chosenAt >= uiLocalesSince ? [chosen, hint] : [hint, chosen];
  return pickLocale(...order, ctx.get('accept-language')) ?? fallback;
}
