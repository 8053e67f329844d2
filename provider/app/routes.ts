// Every router of our own pages and APIs, in one table. Each entry builds its router from the same parts, built once
// per process; `kind` says where it is mounted: 'page' behind the pages' CSRF check, 'api' in front of it, since
// the APIs authenticate with a bearer token or a card's answer and must not set the CSRF cookie.
import type Router from '@koa/router';
import type { Config } from './settings.ts';
import type { Services } from './services.ts';
import type { Authenticator } from '../methods/password/authenticate.ts';
import type { Captcha } from '../domain/guards/captcha.ts';
import type { CardStep } from '../methods/eid-card/card-step.ts';
import type { ReactivationService } from '../flows/reactivation/service.ts';
import { cachedUpstreamsFor } from '../domain/upstreams/repository.ts';
import { createTotpMethod } from '../methods/second-factor/totp.ts';
import { createPasskeyFactor } from '../methods/second-factor/passkey.ts';
import { devMessagesRouter, servesDevMailbox } from '../domain/messaging/dev-messages.ts';
import { languageRoutes } from '../platform/web/language.ts';
import { loginRoutes } from '../flows/login/routes.ts';
import { loggedInStep } from '../flows/login/logged-in.ts';
import { selfRoutes } from '../flows/self/routes.ts';
import { accountRoutes } from '../flows/account/routes.ts';
import { accountDataRoutes } from '../flows/account/data.ts';
import { accountSecurityRoutes } from '../flows/account/security.ts';
import { accountSessionRoutes } from '../flows/account/sessions.ts';
import { accountAlertRoutes } from '../flows/account/alerts.ts';
import { passkeyAccountRoutes } from '../flows/account/passkeys.ts';
import { passkeyLoginRoutes } from '../flows/login/passkey.ts';
import { alertContactRoutes } from '../flows/account/alert-contacts.ts';
import { auditAdminRoutes } from '../flows/admin/audit.ts';
import { personAdminRoutes } from '../flows/admin/person.ts';
import { organisationAdminRoutes } from '../flows/admin/organisations.ts';
import { adminRoutes } from '../flows/admin/routes.ts';
import { captchaRoutes } from '../flows/captcha/routes.ts';
import { recoveryRoutes } from '../flows/recovery/routes.ts';
import { doneRoutes } from '../flows/done/routes.ts';
import { registrationRoutes } from '../flows/registration/routes.ts';
import { eidRoutes } from '../flows/eid/routes.ts';
import { reactivationRoutes } from '../flows/reactivation/routes.ts';
import { reactivationApi } from '../flows/reactivation/api.ts';
import { upstreamRoutes } from '../flows/upstream/routes.ts';
import { notificationApi } from '../flows/api/notifications.ts';

export interface RouterParts {
  services: Services;
  authenticator: Authenticator;
  captcha: Captcha;
  /** The eID card step of every flow that reads the card (link, login, registration, reactivation). */
  cards: CardStep;
  /** One reactivation service for the pages, the bridge's API and the upstream's return. */
  reactivation: ReactivationService;
}

export interface Mount {
  kind: 'page' | 'api';
  router: (parts: RouterParts) => Router;
  /** Mounted only where this holds (the development mailbox). */
  when?: (config: Config) => boolean;
}

export const ROUTERS: readonly Mount[] = [
  { kind: 'api', router: ({ services }) => notificationApi(services) },
  { kind: 'api', router: ({ services, reactivation, cards }) => reactivationApi(services, reactivation, cards) },
  {
    kind: 'page',
    router: ({ services, authenticator }) =>
      loginRoutes({
        config: services.config,
        provider: services.provider,
        authenticator,
        loggedIn: loggedInStep(services),
        upstreamButtons: cachedUpstreamsFor(services.db, 'login', services.config.upstreamCacheSeconds * 1000),
        secondFactor: {
          db: services.db,
          users: services.users,
          flowStarts: services.flowStarts,
          totp: createTotpMethod(services.config, services.db),
          passkey: createPasskeyFactor(services),
        },
      }),
  },
  { kind: 'page', router: ({ services }) => passkeyLoginRoutes(services) },
  { kind: 'page', router: () => languageRoutes() },
  { kind: 'page', router: ({ services }) => selfRoutes(services) },
  { kind: 'page', router: ({ services }) => accountRoutes(services) },
  { kind: 'page', router: ({ services }) => accountSecurityRoutes(services) },
  { kind: 'page', router: ({ services }) => accountSessionRoutes(services) },
  { kind: 'page', router: ({ services }) => accountAlertRoutes(services) },
  { kind: 'page', router: ({ services }) => accountDataRoutes(services) },
  { kind: 'page', router: ({ services }) => passkeyAccountRoutes(services) },
  { kind: 'page', router: ({ services }) => alertContactRoutes(services) },
  { kind: 'page', router: ({ services }) => organisationAdminRoutes(services) },
  { kind: 'page', router: ({ captcha }) => captchaRoutes(captcha) },
  { kind: 'page', router: ({ services, captcha }) => recoveryRoutes(services, captcha) },
  { kind: 'page', router: ({ services }) => doneRoutes(services) },
  { kind: 'page', router: ({ services, captcha, cards }) => registrationRoutes(services, captcha, cards) },
  { kind: 'page', router: ({ services }) => adminRoutes(services) },
  { kind: 'page', router: ({ services }) => auditAdminRoutes(services) },
  { kind: 'page', router: ({ services }) => personAdminRoutes(services) },
  { kind: 'page', router: ({ services, cards }) => eidRoutes(services, cards) },
  { kind: 'page', router: ({ services, captcha, reactivation, cards }) => reactivationRoutes(services, captcha, reactivation, cards) },
  { kind: 'page', router: ({ services, authenticator, reactivation }) => upstreamRoutes(services, authenticator, reactivation) },
  { kind: 'page', router: ({ services }) => devMessagesRouter(services.db, services.config.issuerUrl), when: servesDevMailbox },
];

/** "METHOD /path/:param" for every route of `routers`, for tests that must cover them all. */
export function routesOf(routers: readonly Router[]): string[] {
  return routers.flatMap((r) => r.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`)));
}
