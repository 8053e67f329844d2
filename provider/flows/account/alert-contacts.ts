// The extra addresses and numbers a person keeps for alerts (ALERT_EXTRA_CONTACTS): added with a code sent to each,
// turned on or off, removed. They are listed on /account/alerts, whose page is in routes.ts.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { createAlertContacts, type AlertContact } from '../../domain/accounts/alert-contacts.ts';
import { exampleMobile, formatPhone } from '../../domain/accounts/phone.ts';
import { requireRecentLogin, requireUser } from '../self/routes.ts';
import { body, controlCharacters, fieldText, formInput, maxLengths, unreadableInput } from '../../platform/web/form.ts';
import { reloadAt, renderPage } from '../../platform/web/page.ts';
import { duration } from '../../platform/web/i18n.ts';
import { formError, type FormError, type FormErrors } from '../../platform/web/form-errors.ts';
import { audit } from '../../platform/audit.ts';

const addInput = z.object({ channel: z.enum(['email', 'sms']), value: z.string().trim().min(1).max(320) });
const addLimits = maxLengths(addInput);
const codeInput = z.object({ code: z.string().trim().min(1).max(20) });
const toggleInput = z.object({ enabled: z.literal('on').optional() });

/** How a contact is shown: a number in its national form, an address as it is. */
export const shownContact = (c: Pick<AlertContact, 'channel' | 'value'>) => (c.channel === 'sms' ? formatPhone(c.value) : c.value);

export function alertContactRoutes(services: Services): Router {
  const { config, db } = services;
  const contacts = createAlertContacts(services);
  const loggedIn = requireUser(services);
  // A new recipient of every later alert, or one turned back on: the password again, as for a new address, so that a
  // session left open somewhere is not enough.
  const recentlyLoggedIn = requireRecentLogin(services);
  const router = createRouter();
  const user = (ctx: Context) => ctx.state.user as User;

  function addPage(ctx: Context, values: { channel: string; value: string }, errors: FormErrors = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, '/account/alerts/contacts/new');
    renderPage(ctx, 'pages/account/alert-contact-add.njk', {
      titleKey: 'account.alert_contact.add.title',
      nav: 'alerts',
      values,
      errors,
      limits: addLimits,
      example: exampleMobile(config.phoneDefaultRegion),
    });
  }

  function verifyPage(ctx: Context, contact: AlertContact, errors: FormErrors = {}) {
    // Typed again while it waited for its code: the page says why a new code came.
    const waiting = ctx.query.waiting === '1';
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, `/account/alerts/contacts/${contact.id}/verify`);
    renderPage(ctx, 'pages/account/alert-contact-verify.njk', {
      titleKey: 'account.alert_contact.verify.title',
      nav: 'alerts',
      contact: { ...contact, shown: shownContact(contact) },
      ttl: duration(config.phoneCodeTtl),
      waiting,
      errors,
    });
  }

  /** The contact named in the path, if it is this person's. */
  const own = (ctx: Context) => contacts.find(db, user(ctx).id, z.uuid().safeParse(ctx.params.id).data ?? '00000000-0000-0000-0000-000000000000');

  router.get('/account/alerts/contacts/new', recentlyLoggedIn, (ctx) => addPage(ctx, { channel: 'sms', value: '' }));

  router.post('/account/alerts/contacts', recentlyLoggedIn, async (ctx) => {
    const { raw, parsed } = await formInput(ctx, addInput);
    const values = { channel: fieldText(raw.channel) || 'sms', value: fieldText(raw.value) };
    if (!parsed.success) return addPage(ctx, values, controlCharacters(parsed.error) ?? formError('value', 'account.alert_contact.error.required'));
    const r = await db.transaction((trx) => contacts.add(trx, user(ctx), parsed.data.channel, parsed.data.value));
    if (r.ok) return ctx.redirect(`/account/alerts/contacts/${r.contact.id}/verify${r.waiting ? '?waiting=1' : ''}`);
    const example = exampleMobile(config.phoneDefaultRegion);
    const error: FormError =
      r.problem === 'rate_limited' || r.problem === 'number_limited'
        ? { key: `account.phone.error.${r.problem}`, params: { wait: r.wait } }
        : r.problem === 'full'
          ? { key: 'account.alert_contact.error.full', params: { max: config.alertExtraContacts } }
          : {
              key: `account.alert_contact.error.${parsed.data.channel}_${r.problem}`,
              params: { national: example.national, international: example.international },
            };
    addPage(ctx, values, { value: [error] });
  });

  router.get('/account/alerts/contacts/:id/verify', loggedIn, async (ctx) => {
    const contact = await own(ctx);
    if (!contact || contact.verified) return ctx.redirect('/account/alerts');
    verifyPage(ctx, contact);
  });

  router.post('/account/alerts/contacts/:id/verify', loggedIn, async (ctx) => {
    const contact = await own(ctx);
    if (!contact || contact.verified) return ctx.redirect('/account/alerts');
    const { parsed } = await formInput(ctx, codeInput);
    if (!parsed.success) return verifyPage(ctx, contact, controlCharacters(parsed.error) ?? formError('code', 'account.alert_contact.error.code_required'));
    const r = await contacts.confirm(db, user(ctx), contact, parsed.data.code);
    if (r.status === 'ok') return ctx.redirect('/account/alerts?done=contact_verified');
    verifyPage(
      ctx,
      contact,
      r.status === 'wrong'
        ? formError('code', 'account.phone.verify.error.wrong', { tries: r.triesLeft })
        : formError('code', 'account.alert_contact.error.code_gone'),
    );
  });

  router.post('/account/alerts/contacts/:id/toggle', recentlyLoggedIn, async (ctx) => {
    const contact = await own(ctx);
    const parsed = toggleInput.safeParse(await body(ctx));
    // As the channels' boxes (alerts.ts): a value no box sends turned the contact off.
    if (!parsed.success) throw unreadableInput();
    if (contact?.verified) {
      const enabled = parsed.data.enabled === 'on';
      await contacts.setEnabled(db, user(ctx).id, contact.id, enabled);
      await audit(db, 'alerts_changed', { userId: user(ctx).id, ip: ctx.ip, details: { contact: contact.id, enabled } });
    }
    ctx.redirect('/account/alerts?done=alerts_saved');
  });

  router.post('/account/alerts/contacts/:id/remove', loggedIn, async (ctx) => {
    const contact = await own(ctx);
    if (contact) await contacts.remove(db, user(ctx).id, contact.id);
    ctx.redirect('/account/alerts?done=contact_removed');
  });

  return router;
}
