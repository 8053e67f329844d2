// Server-rendered pages and mails: nunjucks over views/, autoescaped, with `t()` bound to the locale.
import nunjucks from 'nunjucks';
import { ThemeLoader, currentTheme } from './theme.ts';
import { helpdeskFor } from './helpdesk.ts';
import { translate, duration, LOCALES, type Locale, type MessageParams } from './i18n.ts';

const env = new nunjucks.Environment(new ThemeLoader(), {
  autoescape: true,
  throwOnUndefined: false,
});

export interface RenderContext {
  locale: Locale;
  [key: string]: unknown;
}

export function render(template: string, context: RenderContext): string {
  const { locale } = context;
  return env.render(template, {
    ...context,
    locales: LOCALES,
    helpdesk: helpdeskFor(locale),
    theme: currentTheme(),
    t: (key: string, params?: MessageParams) => translate(locale, key, params),
    duration,
    formatDate: (d: Date | string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(d)),
  });
}
