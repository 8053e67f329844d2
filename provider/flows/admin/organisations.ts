// Staff pages under /admin/organisations: create organisations, put users in them, and decide whether an
// organisation sends notifications (the same operations as `idp orgs`). Admin role only; every change audited.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { requireUser } from '../self/routes.ts';
import { body, controlCharacters, fieldText, formInput, unreadableInput } from '../../platform/web/form.ts';
import { reloadAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { audit } from '../../platform/audit.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import * as orgs from '../../domain/accounts/organisations.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { recordView, VIEWS } from './view-record.ts';

const createInput = z.object({ name: orgs.organisationName, notify: z.literal('on').optional() });
const notifyInput = z.object({ notify: z.enum(['on', 'off']) });
const memberInput = z.object({ username: z.string().trim().min(1).max(64) });

// Outcomes shown once after a redirect; only these keys reach the page.
const NOTICES = ['created', 'notify_on', 'notify_off', 'added', 'already_member', 'removed'] as const;

export function organisationAdminRoutes(services: Services): Router {
  const { db, users } = services;
  const router = createRouter({ prefix: '/admin/organisations' });
  router.use(requireUser(services, { role: 'admin' }));

  const staff = (ctx: Context) => ctx.state.user as User;
  const notice = (ctx: Context) => (NOTICES as readonly string[]).find((n) => n === ctx.query.notice);
  const back = (ctx: Context, to: string, n: (typeof NOTICES)[number]) => {
    ctx.status = 303;
    ctx.redirect(`${to}?notice=${n}`);
  };
  const find = async (ctx: Context) => {
    const org = await orgs.findOrganisation(db, isUuid(ctx.params.id) ? ctx.params.id : '');
    if (!org) renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
    return org;
  };

  async function list(ctx: Context, errors: FormErrors = {}, values: Record<string, string> = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    reloadAt(ctx, '/admin/organisations');
    renderPage(ctx, 'pages/admin/organisations.njk', {
      titleKey: 'organisations.title',
      organisations: await orgs.listOrganisations(db),
      errors,
      values,
      done: notice(ctx),
    });
  }

  async function detail(ctx: Context, org: orgs.Organisation, errors: FormErrors = {}, values: Record<string, string> = {}) {
    if (Object.keys(errors).length) ctx.status = 400;
    const members = await orgs.membersOf(db, org.id);
    if (members.length) await recordView(db, ctx, VIEWS.members, { organisation: org.id, members: members.length });
    reloadAt(ctx, `/admin/organisations/${org.id}`);
    renderPage(ctx, 'pages/admin/organisation.njk', {
      titleKey: 'organisations.title',
      org,
      members,
      errors,
      values,
      done: notice(ctx),
    });
  }

  router.get('/', (ctx) => list(ctx));

  router.post('/', async (ctx) => {
    const { raw, parsed } = await formInput(ctx, createInput);
    if (!parsed.success) return list(ctx, controlCharacters(parsed.error) ?? formError('name', 'organisations.error.name'), { name: fieldText(raw.name) });
    try {
      const org = await db.transaction(async (trx) => {
        const made = await orgs.createOrganisation(trx, parsed.data.name, parsed.data.notify === 'on');
        await audit(trx, 'admin.organisation_created', { userId: staff(ctx).id, ip: ctx.ip, details: { organisation: made.id, notify: made.notify } });
        return made;
      });
      back(ctx, `/admin/organisations/${org.id}`, 'created');
    } catch (e) {
      if (!isAppError(e) || e.code !== 'organisation_exists') throw e;
      await list(ctx, formError('name', 'organisations.error.exists'), { name: parsed.data.name });
    }
  });

  router.get('/:id', async (ctx) => {
    const org = await find(ctx);
    if (org) await detail(ctx, org);
  });

  router.post('/:id/notify', async (ctx) => {
    const org = await find(ctx);
    const parsed = notifyInput.safeParse(await body(ctx));
    if (!parsed.success) throw unreadableInput();
    if (!org) return;
    await db.transaction(async (trx) => {
      await orgs.setOrganisationNotify(trx, org.id, parsed.data.notify === 'on');
      await audit(trx, 'admin.organisation_notify', {
        userId: staff(ctx).id,
        ip: ctx.ip,
        details: { organisation: org.id, notify: parsed.data.notify === 'on' },
      });
    });
    back(ctx, `/admin/organisations/${org.id}`, parsed.data.notify === 'on' ? 'notify_on' : 'notify_off');
  });

  router.post('/:id/members', async (ctx) => {
    const org = await find(ctx);
    if (!org) return;
    const { raw, parsed } = await formInput(ctx, memberInput);
    const [user] = parsed.success ? await users.findByIdentifier(db, parsed.data.username, 'username') : [];
    const refused = parsed.success ? undefined : controlCharacters(parsed.error);
    if (!user) return detail(ctx, org, refused ?? formError('username', 'organisations.error.user_unknown'), { username: fieldText(raw.username) });
    const added = await db.transaction(async (trx) => {
      const isNew = await orgs.addMember(trx, org.id, user.id);
      if (isNew) await audit(trx, 'admin.organisation_member_added', { userId: user.id, ip: ctx.ip, details: { organisation: org.id, by: staff(ctx).id } });
      return isNew;
    });
    back(ctx, `/admin/organisations/${org.id}`, added ? 'added' : 'already_member');
  });

  router.post('/:id/members/:userId/remove', async (ctx) => {
    const org = await find(ctx);
    if (!org) return;
    const userId = isUuid(ctx.params.userId) ? ctx.params.userId : undefined;
    if (userId) {
      await db.transaction(async (trx) => {
        if (await orgs.removeMember(trx, org.id, userId))
          await audit(trx, 'admin.organisation_member_removed', { userId, ip: ctx.ip, details: { organisation: org.id, by: staff(ctx).id } });
      });
    }
    back(ctx, `/admin/organisations/${org.id}`, 'removed');
  });

  return router;
}
