// The language of a request: ui_locales (from the query or the authorization request), then the cookie set by
// the language switch, then Accept-Language, then DEFAULT_LOCALE. A switch used after the relying app sent
// ui_locales is the newer, explicit choice and wins over it.
import type { Context, Next } from 'koa';
import { LANGUAGE_COOKIE, LANGUAGE_CHOSEN_AT_COOKIE, pickLocale, type Locale } from './i18n.ts';

let fallback: Locale = 'en';
export const setDefaultLocale = (l: Locale) => {
  fallback = l;
};

/** The ui_locales of the address asked for, as given. */
const askedInQuery = (ctx: Context): string | undefined => (typeof ctx.query?.ui_locales === 'string' ? ctx.query.ui_locales : undefined);

/** `uiLocalesSince`: epoch seconds at which `uiLocales` was given (the authorization request's time). */
export function requestLocale(ctx: Context, uiLocales?: string, uiLocalesSince?: number): Locale {
  const chosen = ctx.cookies.get(LANGUAGE_COOKIE);
  const chosenAtMs = Number(ctx.cookies.get(LANGUAGE_CHOSEN_AT_COOKIE) ?? 0);
  const hint = uiLocales ?? askedInQuery(ctx);
  // The switch is timed in milliseconds, the authorization request in whole seconds (oidc-provider's): a switch used
  // in the request's second, on the page the request led to, is the newer choice. An app cannot send a person a new
  // request within the second after they used the switch on one of its pages.
  const order = uiLocalesSince !== undefined && chosenAtMs > uiLocalesSince * 1000 ? [chosen, hint] : [hint, chosen];
  return pickLocale(...order, ctx.get('accept-language')) ?? fallback;
}

/**
 * For every page: a supported language that ui_locales in the address asks for is remembered as if chosen with the
 * switch, before the page answers. Many answer with a redirect that renders nothing and drops the query
 * (`/registration` to its only mode, `/account` to the login), and the page after it, the account it creates and the
 * mails that account gets, must still be in that language.
 */
export function keepAskedLanguage() {
  return async (ctx: Context, next: Next) => {
    const asked = pickLocale(askedInQuery(ctx));
    if (asked && ctx.cookies.get(LANGUAGE_COOKIE) !== asked) rememberLanguage(ctx, asked);
    await next();
  };
}

/**
 * The language of a page. A relying app's ui_locales that decided it (an interaction's) is kept as if chosen with the
 * switch, so that the eID, sign-up, recovery and reactivation pages linked from the login page (which carry no
 * ui_locales) stay in it until the person picks another language. One in the address keepAskedLanguage keeps.
 */
export function pageLocale(ctx: Context, uiLocales?: string, uiLocalesSince?: number): Locale {
  const locale = requestLocale(ctx, uiLocales, uiLocalesSince);
  if (uiLocales !== undefined && pickLocale(uiLocales) === locale && ctx.cookies.get(LANGUAGE_COOKIE) !== locale) rememberLanguage(ctx, locale);
  return locale;
}

/** The language cookie, as the switch and a relying app's ui_locales set it. */
export function rememberLanguage(ctx: Context, locale: Locale): void {
  // One cookie per answer, though the address's ui_locales and the page's own hint may both remember it.
  const cookie = { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 24 * 3600 * 1000, overwrite: true } as const;
  ctx.cookies.set(LANGUAGE_COOKIE, locale, cookie);
  ctx.cookies.set(LANGUAGE_CHOSEN_AT_COOKIE, String(Date.now()), cookie);
}
