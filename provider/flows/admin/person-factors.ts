// What staff take away for a person who lost their phone and called the helpdesk: a passkey, the authenticator app
// with its recovery codes, the mobile number; never their own. Each goes only from its confirmation page, after a
// recent login of staff, is audited with who did it, and the person is told by mail, in case it was not them who
// called. Nothing else ends: the password, the sessions and the other ways to log in stay, since the caller is
// usually the rightful person locked out of a second factor.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Knex } from 'knex';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { renderMessage, renderPage } from '../../platform/web/page.ts';
import { audit } from '../../platform/audit.ts';
import { createTotpMethod } from '../../methods/second-factor/totp.ts';
import { createPhoneVerification } from '../../domain/accounts/phone-verification.ts';
import { passkeysOf, removePasskey } from '../../domain/passkeys/repository.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import type { MessageParams } from '../../platform/web/i18n.ts';
import { recordView, VIEWS } from './view-record.ts';

/** What the person page gives the routes added to it. */
export interface PersonPage<Notice extends string> {
  /** The person of the URL; undefined once a 404 is rendered. */
  person(ctx: Context): Promise<User | undefined>;
  staff(ctx: Context): User;
  /** Back to the person page, with a notice shown once. */
  back(ctx: Context, user: User, notice: Notice): void;
  /** Asks staff whose login is older than the account pages allow to log in again first. */
  recentlyLoggedIn: Middleware;
}

type FactorNotice = 'passkey_removed' | 'second_factor_removed' | 'phone_removed';

interface Removal<T> {
  /** What would go, as the record of its confirmation page names it. */
  viewed(thing: T): Record<string, unknown>;
  /** What would go; undefined when the person has no such thing. */
  find(user: User, ctx: Context): Promise<T | undefined>;
  /** The confirmation page's question, naming what goes. */
  question(thing: T): { key: string; params?: MessageParams };
  /** What the removal does and leaves, under the question. */
  effectKey: string;
  remove(trx: Knex, user: User, thing: T, ctx: Context): Promise<void>;
  notice: FactorNotice;
}

export function personFactorRoutes(services: Services, router: Router, page: PersonPage<FactorNotice>): void {
  const { db, config } = services;
  const totp = createTotpMethod(config, db);
  const phone = createPhoneVerification(services);

  const tell = (trx: Knex, user: User, mail: string, params?: MessageParams) =>
    enqueueNotice(trx, user, localeOf(user, config.defaultLocale), {
      title: { key: `${mail}.title` },
      paragraphs: [{ key: `${mail}.body`, params }],
    });

  /** GET: the confirmation page; POST (from it): the removal. */
  function removal<T>(path: string, r: Removal<T>) {
    const found = async (ctx: Context) => {
      const user = await page.person(ctx);
      if (!user) return undefined;
      // Staff's own factors go from their own pages, which ask for a recent login: here an unattended staff
      // session would be enough.
      if (user.id === page.staff(ctx).id) return void renderMessage(ctx, 403, 'admin.person.self_title', 'admin.person.self_factor');
      const thing = await r.find(user, ctx);
      if (thing === undefined) return void renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
      return { user, thing };
    };
    router.get(path, page.recentlyLoggedIn, async (ctx) => {
      const f = await found(ctx);
      if (!f) return;
      await recordView(db, ctx, VIEWS.factorRemoval, r.viewed(f.thing), f.user.id);
      renderPage(ctx, 'pages/admin/person-confirm.njk', {
        titleKey: 'admin.person.confirm.title',
        person: f.user,
        question: r.question(f.thing),
        effectKey: r.effectKey,
        action: ctx.path,
      });
    });
    router.post(path, page.recentlyLoggedIn, async (ctx) => {
      const f = await found(ctx);
      if (!f) return;
      await db.transaction((trx) => r.remove(trx, f.user, f.thing, ctx));
      page.back(ctx, f.user, r.notice);
    });
  }

  removal('/passkeys/:passkey/remove', {
    find: async (user, ctx) => (await passkeysOf(db, user.id)).find((p) => p.id === ctx.params.passkey),
    viewed: (p) => ({ factor: 'passkey', passkey: p.id }),
    question: (p) => ({ key: 'admin.person.confirm.passkey', params: { name: p.name } }),
    effectKey: 'admin.person.confirm.passkey_effect',
    async remove(trx, user, p, ctx) {
      if (!(await removePasskey(trx, user.id, p.id))) return;
      await audit(trx, 'passkey.removed', { userId: user.id, ip: ctx.ip, details: { by: page.staff(ctx).id, passkey: p.id } });
      await tell(trx, user, 'admin.person.passkey_removed_mail', { name: p.name });
    },
    notice: 'passkey_removed',
  });

  // The app's own removal audits it and mails the person.
  removal('/second-factor/remove', {
    find: async (user) => ((await totp.isEnrolled(user)) ? { codes: await totp.recoveryCodesLeft(user) } : undefined),
    viewed: () => ({ factor: 'second_factor' }),
    question: () => ({ key: 'admin.person.confirm.second_factor' }),
    effectKey: 'second_factor.admin.on',
    remove: async (trx, user, _, ctx) => void (await totp.remove(trx, user, 'staff', { ip: ctx.ip, staffId: page.staff(ctx).id })),
    notice: 'second_factor_removed',
  });

  // A number cannot be set by staff (only its owner can type the code texted to it), but one the person lost, or
  // never had, can go: the next one is proved by its code as always.
  removal('/phone/remove', {
    find: async (user) => user.phone_number ?? undefined,
    viewed: () => ({ factor: 'phone' }),
    question: (number) => ({ key: 'admin.person.confirm.phone', params: { number } }),
    effectKey: 'admin.person.confirm.phone_effect',
    async remove(trx, user, number, ctx) {
      if (!(await phone.removePhone(trx, user))) return;
      await audit(trx, 'admin.phone_removed', { userId: user.id, ip: ctx.ip, details: { by: page.staff(ctx).id } });
      await tell(trx, user, 'admin.person.phone_removed_mail', { number });
    },
    notice: 'phone_removed',
  });
}
