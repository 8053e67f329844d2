// A relying app's ui_locales, remembered the moment its authorization request arrives: the language cookie then
// holds the app's word with the time it was given, so that a switch the person used before this request loses to
// it and one used after wins, even within the same second (the interaction's own time is in whole seconds).
import type Provider from 'oidc-provider';
import { pickLocale } from '../platform/web/i18n.ts';
import { rememberLanguage } from '../platform/web/locale.ts';

export function rememberUiLocales(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'authorization') return;
    const asked = ctx.oidc.params?.ui_locales;
    const locale = typeof asked === 'string' ? pickLocale(asked) : undefined;
    if (locale) rememberLanguage(ctx, locale);
  });
}
