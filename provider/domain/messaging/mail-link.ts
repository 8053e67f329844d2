// The address a mail's link opens. It names the mail's language: the link is often opened on another device or in
// another browser, without the language cookie, where the page would otherwise follow that browser's language.
import type { Locale } from '../../platform/web/i18n.ts';

export function mailLink(issuerUrl: string, path: string, locale: Locale, params: Record<string, string> = {}): string {
  return `${issuerUrl}${path}?${new URLSearchParams({ ...params, ui_locales: locale })}`;
}
