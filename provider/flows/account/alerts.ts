// /account/alerts: the channels the person's alerts go to (a channel needs a verified address or number), and the
// extra contacts (./alert-contacts.ts).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { body, unreadableInput } from '../../platform/web/form.ts';
import { renderPage } from '../../platform/web/page.ts';
import { formatPhone } from '../../domain/accounts/phone.ts';
import { getAlertSettings, setAlertChannels, type AlertSettings } from '../../domain/accounts/alerts.ts';
import { listAlertContacts } from '../../domain/accounts/alert-contacts.ts';
import { organisationsOf } from '../../domain/accounts/organisations.ts';
import { audit } from '../../platform/audit.ts';
import { shownContact } from './alert-contacts.ts';
import { alertNotices, doneOf } from './notices.ts';

const alertsInput = z.object({ email: z.literal('on').optional(), sms: z.literal('on').optional() });

export function accountAlertRoutes(services: Services): Router {
  const { config, db } = services;
  const router = createRouter();
  const loggedIn = requireUser(services);
  const user = (ctx: Context) => ctx.state.user as User;

  async function alertsPage(ctx: Context, settings?: AlertSettings) {
    const u = user(ctx);
    const s = settings ?? (await getAlertSettings(db, u.id));
    renderPage(ctx, 'pages/account/alerts.njk', {
      titleKey: 'account.alerts.title',
      nav: 'alerts',
      settings: s,
      notices: alertNotices(s, u),
      email: u.email && u.email_verified ? u.email : null,
      phone: u.phone_number && u.phone_number_verified ? formatPhone(u.phone_number) : null,
      contacts: (await listAlertContacts(db, u.id)).map((c) => ({ ...c, shown: shownContact(c) })),
      extraMax: config.alertExtraContacts,
      // What an organisation's choice does to alerts means something only to a member of one.
      inOrganisation: (await organisationsOf(db, u.id)).length > 0,
      done: doneOf(ctx),
    });
  }

  router.get('/account/alerts', loggedIn, (ctx) => alertsPage(ctx));

  router.post('/account/alerts', loggedIn, async (ctx) => {
    const parsed = alertsInput.safeParse(await body(ctx));
    // A box sends "on" or nothing: another value was not ticked or left empty by anyone, and turned both channels off.
    if (!parsed.success) throw unreadableInput();
    const u = user(ctx);
    const want = parsed.data;
    // A channel without a verified address or number cannot be turned on: there is nowhere to send to.
    await setAlertChannels(db, u.id, {
      email: want.email === 'on' && Boolean(u.email && u.email_verified),
      sms: want.sms === 'on' && Boolean(u.phone_number && u.phone_number_verified),
    });
    await audit(db, 'alerts_changed', { userId: u.id, ip: ctx.ip, details: { email: want.email === 'on', sms: want.sms === 'on' } });
    ctx.redirect('/account/alerts?done=alerts_saved');
  });

  return router;
}
