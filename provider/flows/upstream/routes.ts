// The pages of upstream login: the redirect to the upstream, its callback, the "link this identity" page of a first
// login, the finish of the login interaction (by way of the person's second step when the app requires two factors
// and the upstream did not prove them), and the account page listing linked identities.
//
// Binding: the browser that started holds a signed cookie naming the flow, and the flow is bound to that browser
// (../flows/binding.ts); the callback and every later step require both. The login interaction is finished under /interaction/<uid>/…, where oidc-provider's own interaction
// cookie is sent, so an identity proven in one browser can never complete a login started in another.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import type { Authenticator } from '../../methods/password/authenticate.ts';
import type { ReactivationService } from '../reactivation/service.ts';
import { AWAITING_CARD } from '../../methods/eid-card/nonces.ts';
import { requireUser } from '../self/routes.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { firstRefused, formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { body, controlCharacters, fieldText, formInput } from '../../platform/web/form.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { renderMessage, renderPage } from '../../platform/web/page.ts';
import { loginIdentifierFor } from '../../oidc/portal.ts';
import { createUpstreamService, upstreamMethod, type Purpose, type UpstreamFlow } from '../../methods/upstream/service.ts';
import { loggedInStep } from '../login/logged-in.ts';
import { UPSTREAM_USES } from '../../domain/upstreams/repository.ts';
import { signedCookie } from '../../platform/web/cookies.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { asksForMfa } from '../../oidc/step-up.ts';
import { createTotpMethod } from '../../methods/second-factor/totp.ts';
import { createPasskeyFactor } from '../../methods/second-factor/passkey.ts';
import { toSecondStep } from '../login/second-factor.ts';
import { notActiveMessage } from '../../domain/accounts/not-active.ts';
import { wayRefusal } from '../../oidc/step-up.ts';

const FLOW_COOKIE = 'upstream_flow';
const DONE = ['linked', 'already', 'removed'] as const;

const startQuery = z.object({ purpose: z.enum(UPSTREAM_USES), flow: z.uuid().optional() });
const passwordInput = z.object({ identifier: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });

export function upstreamRoutes(services: Services, authenticator: Authenticator, reactivation: ReactivationService): Router {
  const { config, provider } = services;
  const upstream = createUpstreamService(services);
  const factors = { totp: createTotpMethod(config, services.db), passkey: createPasskeyFactor(services) };
  const loggedIn = requireUser(services);
  const finishLogin = loggedInStep(services);
  const router = createRouter();

  /** Where a person goes back to try again, by purpose. */
  const againOf = (purpose: Purpose, interaction?: string) =>
    purpose === 'login' && interaction ? `/interaction/${interaction}` : purpose === 'link' ? '/account/connections' : '/reactivation';

  /** A refusal as a page: its own message, a way to try again, and no detail of the upstream's answer. */
  function refused(ctx: Context, e: unknown, actions: { href: string; key: string }[]) {
    if (!isAppError(e)) throw e;
    const title = e.status === 503 ? 'upstream.unavailable.title' : 'upstream.refused.title';
    if (e.status === 503) ctx.set('Retry-After', '60');
    renderMessage(ctx, e.status, title, e.key, { actions, messageParams: e.params });
  }

  /** The flow this browser started: the id in the path (or the cookie) must be the cookie's. */
  async function ownFlow(ctx: Context, id?: string): Promise<UpstreamFlow> {
    const mine = ctx.cookies.get(FLOW_COOKIE, { signed: true });
    if (!mine || (id !== undefined && id !== mine)) throw new AppError('upstream_flow', 'upstream.error.flow', 400);
    return upstream.get(mine, browserBinding(ctx));
  }

  router.get('/upstream/:slug/start', async (ctx) => {
    const q = startQuery.safeParse(ctx.query);
    if (!q.success) throw new AppError('upstream_flow', 'upstream.error.flow', 400);
    const { purpose, flow: reactivationFlow } = q.data;
    // Linking starts from the account page: the person must be logged in here.
    if (purpose === 'link') return loggedIn(ctx, () => start(ctx, { purpose }));
    // A login starts under its interaction's path (below), where the browser shows it holds that login.
    if (purpose === 'login') throw new AppError('upstream_flow', 'upstream.error.interaction', 400);
    // Only a reactivation this browser started: a link with someone else's flow must not let this browser's bank login vouch for it.
    const f = reactivationFlow ? await reactivation.get(reactivationFlow, browserBinding(ctx)) : undefined;
    if (f?.state !== AWAITING_CARD) throw new AppError('upstream_flow', 'upstream.error.flow', 400);
    await start(ctx, { purpose, reactivation: reactivationFlow });
  });

  // oidc-provider's interaction cookie is sent on this path only: a uid copied from another person's address bar
  // finds no cookie here, so it cannot start (and spend the allowance of) that person's login.
  router.get('/interaction/:uid/upstream/:slug/start', async (ctx) => {
    const d = await provider().interactionDetails(ctx.req, ctx.res);
    if (d.uid !== ctx.params.uid || d.prompt.name !== 'login') throw new AppError('upstream_flow', 'upstream.error.interaction', 400);
    const refusal = wayRefusal(d.params, 'upstream');
    if (refusal) throw new AppError('upstream_not_accepted', refusal, 403);
    await start(ctx, { purpose: 'login', interaction: d.uid });
  });

  async function start(
    ctx: Context,
    { purpose, interaction, reactivation: reactivationFlow }: { purpose: Purpose; interaction?: string; reactivation?: string },
  ) {
    const back = { href: againOf(purpose, interaction), key: 'upstream.back' };
    try {
      const user = ctx.state.user as User | undefined;
      // A bank login from a login page counts for that login, as its passkey and card do; a link or a reactivation per address.
      const binding = interaction ? await services.flowStarts.forLogin(ctx, interaction) : await services.flowStarts.forBrowser(ctx);
      const { flow, url } = await upstream.start(String(ctx.params.slug), purpose, {
        binding,
        interaction,
        reactivation: reactivationFlow,
        userId: user?.id,
        locale: requestLocale(ctx),
      });
      ctx.cookies.set(FLOW_COOKIE, flow.id, signedCookie(ctx, { maxAge: 600_000 }));
      ctx.redirect(url.href);
    } catch (e) {
      refused(ctx, e, [{ href: ctx.originalUrl, key: 'upstream.retry' }, back]);
    }
  }

  router.get('/upstream/callback', async (ctx) => {
    const started = await ownFlow(ctx);
    const { purpose, interaction } = started.data;
    const back = { href: againOf(purpose, interaction), key: 'upstream.back' };
    try {
      const {
        flow,
        upstream: u,
        user,
        vouches,
      } = await upstream.callback(started.id, browserBinding(ctx), new URL(`${config.issuerUrl}/upstream/callback${ctx.search}`), ctx.ip);
      if (purpose === 'link') {
        const outcome = await upstream.linkToAccount(flow, ctx.ip);
        ctx.cookies.set(FLOW_COOKIE, null);
        return ctx.redirect(`/account/connections?done=${outcome}`);
      }
      if (!user || user.status === 'pending') {
        if (purpose === 'login') {
          await upstream.unlinked(flow);
          return ctx.redirect(`/upstream/link/${flow.id}`);
        }
        await upstream.done(flow);
        return renderMessage(ctx, 404, 'upstream.no_account.title', 'upstream.no_account.reactivation', {
          messageParams: { name: u.name },
          actions: [{ href: '/reactivation', key: 'upstream.reactivation.again' }],
        });
      }
      if (purpose === 'reactivation') {
        await upstream.done(flow);
        const checked = await reactivation.vouchedByUpstream(flow.data.reactivation!, user, u.name, vouches, { ip: ctx.ip }, browserBinding(ctx));
        ctx.cookies.set(FLOW_COOKIE, null);
        return ctx.redirect(`/reactivation/${checked.id}/confirm`);
      }
      if (user.status === 'locked') {
        await upstream.done(flow);
        return renderMessage(ctx, 403, 'upstream.not_active.title', 'reactivation.login_locked');
      }
      if (user.status !== 'active') {
        await upstream.done(flow);
        return renderMessage(ctx, 403, 'upstream.not_active.title', 'upstream.not_active.message', {
          actions: [{ href: '/reactivation', key: 'upstream.reactivate' }],
        });
      }
      const authenticated = await upstream.authenticated(flow, 'returned', user, upstreamMethod.amr);
      ctx.redirect(`/interaction/${interaction}/upstream/${authenticated.id}`);
    } catch (e) {
      refused(ctx, e, [back]);
    }
  });

  // A first login with an identity that no account knows yet: prove an account with its password, or create one.
  /** What the identifier is in the login this flow belongs to, as its login page asked for it. */
  async function identifierKind(ctx: Context, flow: UpstreamFlow) {
    const i = flow.data.interaction ? await provider().Interaction.find(flow.data.interaction) : undefined;
    const client = i ? await provider().Client.find(i.params.client_id as string) : undefined;
    return loginIdentifierFor(ctx, client, config);
  }

  async function linkPage(ctx: Context, flow: UpstreamFlow, extra: { identifier?: string; errors?: FormErrors; values?: Record<string, unknown> } = {}) {
    if (flow.state !== 'unlinked') throw new AppError('upstream_flow', 'upstream.error.flow', 409);
    renderPage(ctx, 'pages/upstream/link.njk', {
      titleKey: 'upstream.link.title',
      flowId: flow.id,
      name: flow.data.name,
      label: flow.data.identity?.label ?? '',
      identifierMode: await identifierKind(ctx, flow),
      canCreate: config.registrationModes.includes('open'),
      termsVersion: config.termsVersion,
      privacyVersion: config.privacyVersion,
      termsUrl: config.termsUrl,
      privacyUrl: config.privacyUrl,
      back: againOf('login', flow.data.interaction),
      identifier: extra.identifier ?? '',
      errors: extra.errors ?? {},
      values: extra.values ?? {},
    });
  }

  router.get('/upstream/link/:flow', async (ctx) => linkPage(ctx, await ownFlow(ctx, ctx.params.flow)));

  router.post('/upstream/link/:flow', async (ctx) => {
    const flow = await ownFlow(ctx, ctx.params.flow);
    if (flow.state !== 'unlinked') throw new AppError('upstream_flow', 'upstream.error.flow', 409);
    const { raw, parsed } = await formInput(ctx, passwordInput);
    if (!parsed.success) {
      ctx.status = 400;
      const errors = controlCharacters(parsed.error) ?? formError(firstRefused(parsed.error), 'login.error.required');
      return linkPage(ctx, flow, { errors, identifier: fieldText(raw.identifier) });
    }
    const outcome = await authenticator.authenticate(parsed.data.identifier, parsed.data.password, { ip: ctx.ip, kind: await identifierKind(ctx, flow) });
    if (!outcome.ok) {
      ctx.status = 401;
      // As on the login page: an unknown name and a wrong password get the same answer, tied to the password.
      const errors =
        outcome.reason === 'not_active' ? formError('form', await notActiveMessage(services.db, outcome.user)) : formError('password', 'login.error.invalid');
      return linkPage(ctx, flow, { errors, identifier: parsed.data.identifier });
    }
    try {
      const authenticated = await upstream.linkAfterPassword(flow, outcome.user, ctx.ip);
      ctx.redirect(`/interaction/${flow.data.interaction}/upstream/${authenticated.id}`);
    } catch (e) {
      refused(ctx, e, [{ href: againOf('login', flow.data.interaction), key: 'upstream.back' }]);
    }
  });

  router.post('/upstream/link/:flow/create', async (ctx) => {
    const flow = await ownFlow(ctx, ctx.params.flow);
    if (flow.state !== 'unlinked') throw new AppError('upstream_flow', 'upstream.error.flow', 409);
    const raw = await body(ctx);
    const errors: FormErrors = {};
    for (const doc of ['accept_terms', 'accept_privacy']) if (raw[doc] !== 'yes') errors[doc] = [{ key: `registration.error.${doc}` }];
    if (Object.keys(errors).length) {
      ctx.status = 400;
      return linkPage(ctx, flow, { errors, values: raw });
    }
    try {
      const authenticated = await upstream.createAccount(flow, ctx.ip, requestLocale(ctx));
      ctx.redirect(`/interaction/${flow.data.interaction}/upstream/${authenticated.id}`);
    } catch (e) {
      if (isAppError(e) && (e.code === 'upstream_email_taken' || e.code === 'account_exists')) {
        ctx.status = 409;
        return linkPage(ctx, flow, { errors: formError('form', 'upstream.error.email_taken') });
      }
      refused(ctx, e, [{ href: againOf('login', flow.data.interaction), key: 'upstream.back' }]);
    }
  });

  // Under the interaction's path, where its cookie is sent: oidc-provider finds the interaction from that cookie.
  router.get('/interaction/:uid/upstream/:flow', async (ctx) => {
    const flow = await ownFlow(ctx, ctx.params.flow);
    const d = await provider().interactionDetails(ctx.req, ctx.res);
    if (d.uid !== ctx.params.uid || d.prompt.name !== 'login') throw new AppError('upstream_flow', 'upstream.error.interaction', 400);
    const client = await provider().Client.find(String(d.params.client_id));
    const { login, secondStep } = await upstream.login(flow, d.uid, asksForMfa(d.params, client));
    ctx.cookies.set(FLOW_COOKIE, null);
    // Two factors required, and the upstream did not prove them: the person's own second step, in this interaction.
    if (secondStep && (await toSecondStep(ctx, factors, d.uid, login.user, { first: login.amr, required: true }))) return;
    await finishLogin(ctx, login);
  });

  router.get('/account/connections', loggedIn, async (ctx) => {
    const user = ctx.state.user as User;
    const [links, available] = await Promise.all([upstream.links(user.id), upstream.buttons('link')]);
    renderPage(ctx, 'pages/upstream/connections.njk', {
      titleKey: 'upstream.connections.title',
      nav: 'connections',
      links,
      available,
      upstreamDone: DONE.find((d) => d === ctx.query.done),
    });
  });

  router.post('/account/connections/:id/remove', loggedIn, async (ctx) => {
    const id = Number(ctx.params.id);
    if (Number.isSafeInteger(id) && id > 0) await upstream.unlink(ctx.state.user as User, id, ctx.ip);
    ctx.redirect('/account/connections?done=removed');
  });

  return router;
}
