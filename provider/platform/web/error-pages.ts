// Turns any error into a page a citizen can act on (or JSON for API callers): typed AppErrors show their catalogue
// key in the person's language (JSON callers read its English text), a database outage gives 503 "try again in a
// minute", anything else a generic 500. Stack traces go to the log only.
import type { Context, Next } from 'koa';
import { isAppError } from '../errors.ts';
import { renderMessage } from './page.ts';
import { log } from '../log.ts';
import { catalogue, isDuration } from './i18n.ts';

const hasMessage = (key: string) => key in catalogue('en');

const DB_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isDatabaseUnavailable(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string };
  return (
    (err.code !== undefined && DB_DOWN.has(err.code)) ||
    err.name === 'KnexTimeoutError' ||
    /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/.test(err.message ?? '')
  );
}

const wantsJson = (ctx: Context) => ctx.path.startsWith('/api/') || (ctx.accepts('html', 'json') === 'json' && !ctx.accepts('html'));

export function errorPages() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && !ctx.body && ctx.respond !== false) {
        if (wantsJson(ctx)) ctx.body = { error: 'not_found' };
        else renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
      }
    } catch (e) {
      let status = 500;
      let code = 'server_error';
      let messageKey = 'error.message';
      let titleKey = 'error.title';
      if (isAppError(e)) {
        status = e.status;
        code = e.code;
        messageKey = e.key;
        // A refusal that is a warning to the person (a flow sent from someone else) says so in its title too.
        if (hasMessage(`error.${e.code}.title`)) titleKey = `error.${e.code}.title`;
        // A limit's refusal says when to come back, to programs as well as on the page (the passkey script shows it).
        if (isDuration(e.params.wait)) ctx.set('Retry-After', String(e.params.wait.seconds));
      } else if (isDatabaseUnavailable(e)) {
        status = 503;
        code = 'temporarily_unavailable';
        titleKey = 'error.unavailable.title';
        messageKey = 'error.unavailable.message';
        ctx.set('Retry-After', '30');
        log.warn('database unavailable', e as Error);
      } else if ((e as { status?: number; expose?: boolean }).expose) {
        status = (e as { status: number }).status;
        code = 'bad_request';
      } else {
        log.error('unhandled error', e as Error);
      }
      if (wantsJson(ctx)) {
        ctx.status = status;
        ctx.body = { error: code, ...(isAppError(e) ? { message: e.message, ...e.params } : {}) };
      } else {
        renderMessage(ctx, status, titleKey, messageKey, { messageParams: isAppError(e) ? e.params : {} });
      }
    }
  };
}
