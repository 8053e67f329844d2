// The address a mail's link opens. It names the mail's language: the link is often opened on another device or in
// another browser, without the language cookie, where the page would otherwise follow that browser's language.
import type { Locale } from '../../platform/web/i18n.ts';

/** `href`, naming the mail's language unless it names one already. */
export function inLanguage(href: string, locale: Locale): string {
  const url = new URL(href);
  if (!url.searchParams.has('ui_locales')) url.searchParams.set('ui_locales', locale);
  return url.href;
}

export const mailLink = (issuerUrl: string, path: string, locale: Locale, params: Record<string, string> = {}): string =>
  inLanguage(`${issuerUrl}${path}?${new URLSearchParams(params)}`, locale);
