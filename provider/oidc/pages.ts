// The pages oidc-provider shows itself (the logout question, its confirmation, its errors), rendered from our
// templates in the person's language.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { render } from '../platform/web/views.ts';
import { requestLocale } from '../platform/web/locale.ts';
import { isDatabaseUnavailable } from '../platform/web/error-pages.ts';

export function page(ctx: KoaContextWithOIDC, template: string, context: Record<string, unknown>) {
  ctx.type = 'html';
  ctx.body = render(template, { locale: requestLocale(ctx), ...context });
}

export const logoutPages = {
  logoutSource(ctx, form) {
    page(ctx, 'pages/logout.njk', { titleKey: 'logout.title', form });
  },
  postLogoutSuccessSource(ctx) {
    page(ctx, 'pages/message.njk', { titleKey: 'logout.done.title', messageKey: 'logout.done.message' });
  },
} satisfies Pick<NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>, 'logoutSource' | 'postLogoutSuccessSource'>;

/** An error of the protocol: a database outage is 503, an expired interaction or session says so. */
export const renderError: NonNullable<Configuration['renderError']> = (ctx, out, error) => {
  if (isDatabaseUnavailable(error)) {
    ctx.status = 503;
    ctx.set('Retry-After', '30');
    return page(ctx, 'pages/message.njk', { titleKey: 'error.unavailable.title', messageKey: 'error.unavailable.message', isError: true });
  }
  ctx.status = ctx.status && ctx.status >= 400 ? ctx.status : 400;
  const expired = out.error === 'invalid_request' && /interaction|session/i.test(String(out.error_description ?? ''));
  page(ctx, 'pages/message.njk', {
    titleKey: 'error.title',
    messageKey: expired ? 'error.session_expired' : 'error.message',
    // Somewhere to go from here: the Back button after a finished login lands on this page, again at each reload.
    actions: [{ href: '/account', key: 'home.account' }],
    isError: true,
    detail: `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`,
  });
};
