// Server-rendered pages and mails: nunjucks over views/, autoescaped, with `t()` bound to the locale.
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';
import { translate, LOCALES, type Locale } from './i18n.ts';

const VIEWS_DIR = fileURLToPath(new URL('../../../views/', import.meta.url));

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
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
    t: (key: string, params?: Record<string, string | number>) => translate(locale, key, params),
    formatDate: (d: Date | string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(d)),
  });
}
