// "Your data" on the account pages: download everything held about you as JSON, or delete the account. Both need a
// password typed in the last minutes, since either hands over or ends everything; the deletion waits out
// ACCOUNT_DELETION_DAYS (provider/accounts/deletion.ts).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/server.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { requireRecentLogin, requireUser } from '../self/routes.ts';
import { parseBody } from '../../platform/web/form.ts';
import { reloadAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { exportPersonalData } from './personal-data.ts';
import { audit } from '../../platform/audit.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { dayIn } from '../../platform/web/i18n.ts';

const deleteInput = z.object({ confirm: z.literal('on').optional() });

export function accountDataRoutes(services: Services): Router {
  const { db, config, deletion, provider } = services;
  const router = createRouter();
  const loggedIn = requireUser(services);
  const recentlyLoggedIn = requireRecentLogin(services);
  const me = (ctx: Context) => ctx.state.user as User;
  function deletePage(ctx: Context, errors: FormErrors = {}) {
    reloadAt(ctx, '/account/delete');
    renderPage(ctx, 'pages/account/delete.njk', { titleKey: 'account.delete.title', nav: 'data', days: config.accountDeletionDays, errors });
  }

  router.get('/account/data', loggedIn, (ctx) => {
    renderPage(ctx, 'pages/account/data.njk', { titleKey: 'account.data.title', nav: 'data', days: config.accountDeletionDays });
  });

  router.get('/account/data/export', recentlyLoggedIn, async (ctx) => {
    const user = me(ctx);
    const data = await exportPersonalData(db, provider(), user);
    await audit(db, 'account.data_exported', { userId: user.id, ip: ctx.ip });
    ctx.attachment(`my-data-${data.exported_at.slice(0, 10)}.json`);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = `${JSON.stringify(data, null, 2)}\n`;
  });

  router.get('/account/delete', recentlyLoggedIn, (ctx) => deletePage(ctx));

  router.post('/account/delete', recentlyLoggedIn, async (ctx) => {
    const { confirm } = await parseBody(ctx, deleteInput);
    if (!confirm) {
      ctx.status = 400;
      return deletePage(ctx, formError('confirm', 'account.delete.confirm_required'));
    }
    const due = await deletion.request(me(ctx), ctx.ip);
    if (!config.accountDeletionDays) return renderMessage(ctx, 200, 'account.delete.done.title', 'account.delete.done.now');
    renderMessage(ctx, 200, 'account.delete.done.title', 'account.delete.done.later', { messageParams: { date: dayIn(due) } });
  });

  return router;
}
