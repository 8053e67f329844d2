// Renders a page for a request: its language, its CSRF token and where the language switch returns to.
import type { Context, Next } from 'koa';
import { render } from './views.ts';
import { pageLocale } from './locale.ts';
import type { MessageParams } from './i18n.ts';

/** `hint`: the relying app's ui_locales and when it sent them (an interaction's start). */
export function renderPage(
  ctx: Context,
  template: string,
  context: Record<string, unknown> & { titleKey: string },
  hint?: { uiLocales?: string; since?: number },
): void {
  const locale = pageLocale(ctx, hint?.uiLocales, hint?.since);
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  // `ctx.state.shared`: what a router's middleware gives every page it renders (the account pages' portal).
  const shared = (ctx.state.shared ?? {}) as Record<string, unknown>;
  ctx.body = render(template, {
    locale,
    csrf: ctx.state.csrf,
    returnTo: ctx.method === 'GET' ? ctx.originalUrl : undefined,
    // The layout then loads form-answer.js, which makes the page's history entry a GET of that address.
    reloadAddress: ctx.method === 'POST' ? ctx.state.reloadAddress : undefined,
    ...shared,
    ...context,
  });
}

/** A page with a title, a message and links: errors, confirmations, "check your mail". */
export function renderMessage(
  ctx: Context,
  status: number,
  titleKey: string,
  messageKey: string,
  extra: { messageParams?: MessageParams; actions?: { href: string; key: string; params?: MessageParams }[]; isError?: boolean } = {},
): void {
  ctx.status = status;
  renderPage(ctx, 'pages/message.njk', { titleKey, messageKey, isError: status >= 400, ...extra });
}

/**
 * The address a GET shows this request's page again at, when the page answers a form: Back or a reload then loads
 * that page rather than offering to send the form again. An address with no GET page is not given.
 */
export function reloadAt(ctx: Context, address: string): void {
  if (ctx.method === 'POST') ctx.state.reloadAddress = address;
}

/** For a router whose pages answer their forms at such an address (by default the form's own). */
export function reloadedAt(address: (ctx: Context) => string = (ctx) => ctx.originalUrl) {
  return async (ctx: Context, next: Next) => {
    reloadAt(ctx, address(ctx));
    await next();
  };
}

const RETURN_BASE = 'http://return.invalid';

/**
 * Only a path of this site may be returned to (no open redirect). The value is resolved first, as the browser will
 * resolve the Location: dot segments, `%2e` and backslashes can turn a harmless-looking start into `//host`. The
 * normalised form is what is returned, and it must start with a single `/`.
 */
export function safeReturnPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/')) return fallback;
  const url = URL.parse(value, RETURN_BASE);
  if (!url || url.origin !== RETURN_BASE) return fallback;
  const path = url.pathname + url.search + url.hash;
  return /^\/(?![/\\])/.test(path) ? path : fallback;
}

/**
 * For a page a login page links to (recovery, reactivation): where its "Back to log in" leads (the login named by
 * `return_to`, else the account pages' own), and its form's action, which carries `return_to` and `ui_locales` on.
 */
export function comingFrom(ctx: Context, path: string): { back: string; action: string } {
  const query = new URLSearchParams();
  if (typeof ctx.query.ui_locales === 'string' && ctx.query.ui_locales) query.set('ui_locales', ctx.query.ui_locales);
  const back = safeReturnPath(ctx.query.return_to, '/account');
  if (back !== '/account') query.set('return_to', back);
  const q = query.toString();
  return { back, action: q ? `${path}?${q}` : path };
}
