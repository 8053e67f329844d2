// The interaction pages oidc-provider sends the browser to: login, then consent (skipped for first-party apps).
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import { errors, type default as Provider } from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../../app/settings.ts';
import { passwordMethod, type Authenticator } from '../../methods/password/authenticate.ts';
import type { UpstreamButton } from '../../domain/upstreams/repository.ts';
import type { User } from '../../domain/accounts/repository.ts';
import type { Login } from '../../methods/strategy.ts';
import { controlCharacters, fieldText, formInput } from '../../platform/web/form.ts';
import { knownDevices } from '../../platform/web/devices.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { notActiveMessage } from '../../domain/accounts/not-active.ts';
import { reloadedAt, renderMessage, renderPage } from '../../platform/web/page.ts';
import { firstRefused, formError } from '../../platform/web/form-errors.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { API_SCOPES, OIDC_SCOPES, scopeOfClaim } from '../../oidc/scopes.ts';
import { acceptedWays, passwordRefusal } from '../../oidc/step-up.ts';
import { SELF_CLIENT_ID } from '../../oidc/self-client.ts';
import { loginIdentifierFor } from '../../oidc/portal.ts';
import { batchPage } from '../../oidc/batch-requests.ts';
import { secondFactorStep, type SecondFactorStepDeps } from './second-factor.ts';
import { finishInteraction, type LoggedIn } from './logged-in.ts';
import { accessEndedHere } from './held-login.ts';
import { takeProvenLogin } from './proven-login.ts';

// The interaction was created when the relying app sent its ui_locales; a language switch after that wins.
const uiHint = (d: { params: Record<string, unknown>; lastSubmission?: unknown; exp: number }) => ({
  uiLocales: d.params.ui_locales as string | undefined,
  since: d.exp - 3600,
});

const loginInput = z.object({
  identifier: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

export interface LoginRoutesDeps {
  config: Config;
  provider: () => Provider;
  authenticator: Authenticator;
  /** "Log in with <bank>": the upstream providers enabled for login (provider/methods/upstream). */
  upstreamButtons?: () => Promise<UpstreamButton[]>;
  /** Where every login ends (./logged-in.ts). */
  loggedIn: LoggedIn;
  /** The second step after the password (./second-factor.ts). */
  secondFactor: Pick<SecondFactorStepDeps, 'db' | 'users' | 'flowStarts' | 'totp' | 'passkey'>;
}

export function loginRoutes({ config, provider, authenticator, loggedIn, upstreamButtons, secondFactor }: LoginRoutesDeps): Router {
  const router = createRouter();

  /** The interaction this browser holds at this address; undefined when it has ended (finished, expired, replaced). */
  async function details(ctx: Context) {
    const d = await provider()
      .interactionDetails(ctx.req, ctx.res)
      .catch((e: unknown) => {
        if (e instanceof errors.SessionNotFound) return undefined;
        throw e;
      });
    return d?.uid === ctx.params.uid ? d : undefined;
  }
  type HeldInteraction = NonNullable<Awaited<ReturnType<typeof details>>>;

  async function showLogin(ctx: Context, d: HeldInteraction, extra: Record<string, unknown> = {}) {
    // Read only when the page is shown: a successful login POST needs no buttons.
    const upstreams = await upstreamButtons?.();
    renderPage(
      ctx,
      'pages/login.njk',
      {
        titleKey: 'login.title',
        uid: d.uid,
        identifierMode: ctx.state.identifierKind,
        clientName: ctx.state.clientName,
        forAccount: ctx.state.forAccount,
        registration: config.registrationModes.length > 0,
        ways: acceptedWays(d.params),
        only: passwordRefusal(d.params),
        upstreams,
        ...extra,
      },
      uiHint(d),
    );
  }

  const finish = (ctx: Context, result: Parameters<Provider['interactionResult']>[2]) => finishInteraction(ctx, provider, result);

  const second = secondFactorStep({
    ...secondFactor,
    locale: (ctx, d) => requestLocale(ctx, uiHint(d).uiLocales, uiHint(d).since),
    show: (ctx, d, template, context) => renderPage(ctx, template, context, uiHint(d)),
    loggedIn,
  });

  /** A password proven, here or on a mailed link's page: the second step if one is due, else the login's end. */
  async function passwordProven(ctx: Context, d: HeldInteraction, user: User, elsewhere?: Pick<Login, 'details' | 'at'>) {
    if (await second.afterPassword(ctx, d, user)) return;
    await loggedIn(ctx, { ...passwordMethod.login({ user }), ...elsewhere });
  }

  async function grantConsent(ctx: Context, d: HeldInteraction) {
    const p = provider();
    const accountId = d.session!.accountId;
    const grant = d.grantId ? await p.Grant.find(d.grantId) : new p.Grant({ accountId, clientId: d.params.client_id as string });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = d.prompt.details as ConsentDetails;
    if (missingOIDCScope) grant!.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant!.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant!.addResourceScope(indicator, scopes.join(' '));
    await finish(ctx, { consent: { grantId: await grant!.save() } });
  }

  router.use('/interaction/:uid', batchPage(secondFactor.db));
  // Each step's answer to a form is shown again by the interaction's own page, which shows its current step.
  router.use(
    '/interaction/:uid',
    reloadedAt((ctx) => `/interaction/${encodeURIComponent(ctx.params.uid)}`),
  );
  router.use('/interaction/:uid', async (ctx, next) => {
    const d = await details(ctx);
    // Back after a finished login lands here, as does a login left open too long: a way on, not a bare error.
    if (!d) return renderMessage(ctx, 410, 'error.login_ended.title', 'error.login_ended.message', { actions: [{ href: '/account', key: 'home.account' }] });
    const client = await provider().Client.find(d.params.client_id as string);
    ctx.state.interaction = d;
    ctx.state.client = client;
    // The provider's own account pages are named in the reader's language, not by their client name.
    ctx.state.clientName = client?.clientId === SELF_CLIENT_ID ? undefined : (client?.clientName ?? client?.clientId);
    ctx.state.forAccount = client?.clientId === SELF_CLIENT_ID;
    // Every page of the interaction knows it: cancelling a login to the account pages returns to no application.
    ctx.state.shared = { ...(ctx.state.shared as object | undefined), forAccount: ctx.state.forAccount };
    ctx.state.identifierKind = loginIdentifierFor(ctx, client, config);
    await next();
  });

  router.get('/interaction/:uid', async (ctx) => {
    const d = ctx.state.interaction;
    if (d.prompt.name === 'login') {
      if (await second.stepUp(ctx, d)) return;
      // Not for an app that asks for more than a password: it would not do for it.
      const proven = !acceptedWays(d.params).password ? undefined : await takeProvenLogin(ctx, `/interaction/${d.uid}`, secondFactor.db, secondFactor.users);
      if (proven) return passwordProven(ctx, d, proven.user, { details: { after: proven.by }, at: proven.at });
      return showLogin(ctx, d, { identifier: d.params.login_hint ?? '', accessEnded: await accessEndedHere(ctx, secondFactor.db, secondFactor.users) });
    }
    if (d.prompt.name === 'consent') {
      if (ctx.state.client?.first_party === true) return grantConsent(ctx, d);
      // The page lists exactly what "Allow" grants (grantConsent): scopes, single claims and API scopes alike.
      return renderPage(
        ctx,
        'pages/consent.njk',
        {
          titleKey: 'consent.title',
          titleParams: { client: ctx.state.clientName },
          uid: d.uid,
          clientName: ctx.state.clientName,
          items: consentItems(d.prompt.details as ConsentDetails),
        },
        uiHint(d),
      );
    }
    ctx.throw(400, `unsupported prompt ${d.prompt.name}`);
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const d = ctx.state.interaction;
    const refusal = passwordRefusal(d.params);
    if (refusal) throw new AppError('password_not_enough', refusal, 403);
    const { raw, parsed } = await formInput(ctx, loginInput);
    if (!parsed.success) {
      ctx.status = 400;
      const nul = controlCharacters(parsed.error);
      if (nul) return showLogin(ctx, d, { errors: nul, identifier: fieldText(raw.identifier) });
      return showLogin(ctx, d, { errors: formError(firstRefused(parsed.error), 'login.error.required'), identifier: '' });
    }
    const { identifier, password } = parsed.data;
    let outcome: Awaited<ReturnType<Authenticator['authenticate']>>;
    try {
      outcome = await authenticator.authenticate(identifier, password, { ip: ctx.ip, devices: knownDevices(ctx), kind: ctx.state.identifierKind });
    } catch (e) {
      // Another attempt for this name or from this address is being checked: this one was not.
      if (!(isAppError(e) && e.code === 'try_again')) throw e;
      ctx.status = 429;
      return showLogin(ctx, d, { errors: formError('form', 'error.try_again', e.params), identifier });
    }
    if (!outcome.ok) {
      ctx.status = 401;
      // The password was right, so saying why is safe. Pending: the activation mail can be sent again.
      if (outcome.reason === 'not_active')
        return showLogin(ctx, d, {
          errors: formError('form', await notActiveMessage(secondFactor.db, outcome.user)),
          identifier,
          resendActivation: outcome.user.status === 'pending',
        });
      // Unknown name or wrong password, the same answer: tied to the password, which is typed again either way.
      return showLogin(ctx, d, { errors: formError('password', 'login.error.invalid'), identifier });
    }
    await passwordProven(ctx, d, outcome.user);
  });

  second.routes(router);

  router.post('/interaction/:uid/confirm', async (ctx) => {
    const d = ctx.state.interaction;
    if (d.prompt.name !== 'consent') ctx.throw(400, 'nothing to confirm');
    await grantConsent(ctx, d);
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the login' });
  });

  return router;
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** What a consent grants, as catalogue keys with their parameters, each said once; a claim asked for on its own is named by its scope. */
export function consentItems({
  missingOIDCScope = [],
  missingOIDCClaims = [],
  missingResourceScopes = {},
}: ConsentDetails): { key: string; params?: Record<string, string> }[] {
  const asked = new Set([...missingOIDCScope, ...missingOIDCClaims.map(scopeOfClaim)]);
  return [
    ...[...OIDC_SCOPES, ...API_SCOPES].filter((s) => asked.has(s)).map((s) => ({ key: `scope.${s}` })),
    ...Object.entries(missingResourceScopes)
      .filter(([, granted]) => granted.length)
      .map(([resource, granted]) => ({ key: 'consent.api', params: { resource, scopes: granted.join(', ') } })),
  ];
}
