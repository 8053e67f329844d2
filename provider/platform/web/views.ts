// Server-rendered pages and mails: nunjucks over views/, autoescaped, with `t()` bound to the locale.
import { currentTheme, faviconOf, themedEnvironment } from './theme.ts';
import { helpdeskFor } from './helpdesk.ts';
import { shownEmail } from './email-address.ts';
import { translate, duration, formatDateTime, formatTimestamp, LOCALES, type Locale, type MessageParams } from './i18n.ts';

export interface RenderContext {
  locale: Locale;
  [key: string]: unknown;
}

export function render(template: string, context: RenderContext): string {
  const { locale } = context;
  const theme = currentTheme();
  return themedEnvironment(theme, 'page').render(template, {
    ...context,
    locales: LOCALES,
    helpdesk: helpdeskFor(locale),
    theme,
    favicon: faviconOf(theme),
    t: (key: string, params?: MessageParams) => translate(locale, key, params),
    duration,
    formatDate: (d: Date | string) => formatDateTime(locale, d),
    // A language named in a sentence of the page's: "anglais" in French, not "English".
    languageName: (code: string) => new Intl.DisplayNames([locale], { type: 'language' }).of(code),
    // Staff's pages print a moment as `idp audit` does, so that the two read alike and either can be pasted into the other.
    formatTimestamp,
    shownEmail,
  });
}
