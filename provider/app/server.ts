// Composes the provider: database, keys, oidc-provider, our pages, and the background jobs of a process.
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createRouter, nestable } from '../platform/web/router.ts';
import type Provider from 'oidc-provider';
import type { Config } from './settings.ts';
import { createDb, type Db } from '../platform/db/knex.ts';
import { migrate } from '../platform/db/migrate.ts';
import { ensureSigningKeys, jwksFingerprint, loadJwks } from '../oidc/keys.ts';
import { buildProvider } from '../oidc/provider.ts';
import { forgetLogin } from '../flows/login/held-login.ts';
import { createLogoutTransport } from '../oidc/backchannel-logout.ts';
import { purgeExpired } from '../domain/oidc-models/adapter.ts';
import { generatedSecret } from '../platform/secrets.ts';
import { lowerThreadPoolPriority } from '../platform/thread-priority.ts';
import { createUserRepository } from '../domain/accounts/repository.ts';
import { createPasswordHasher } from '../domain/accounts/passwords.ts';
import { createAuthenticator } from '../methods/password/authenticate.ts';
import { securityHeaders, csrf } from '../platform/web/security.ts';
import { errorPages } from '../platform/web/error-pages.ts';
import { refuseLargeBody, refuseUnreadableQuery } from '../platform/web/form.ts';
import { answerUnreadableHeads } from '../platform/web/unreadable-head.ts';
import { toIssuerHost } from '../platform/web/issuer-host.ts';
import { checkClientAddress } from '../platform/web/client-address.ts';
import { staticFiles } from '../platform/web/static.ts';
import { keepAskedLanguage, setDefaultLocale } from '../platform/web/locale.ts';
import { configureLog, log } from '../platform/log.ts';
import { setHelpdesk } from '../platform/web/helpdesk.ts';
import { setTimeZone } from '../platform/web/i18n.ts';
import { loadTheme, runWithTheme, setTheme, themeOf } from '../platform/web/theme.ts';
import { portalOf } from '../oidc/portal.ts';
import { setGeoIp } from '../platform/web/geoip.ts';
import { purgeSessionDevices } from '../oidc/session-devices.ts';
import { purgeAudit } from '../platform/audit-trail.ts';
import { createAccountDeletion } from '../domain/accounts/deletion.ts';
import { recordRequests } from '../platform/log/access.ts';
import { healthRoutes } from '../platform/health.ts';
import { ROUTERS, routesOf, type RouterParts } from './routes.ts';
import { exceptOn, PROTOCOL_BODY_LIMIT, protocolPaths } from './protocol-paths.ts';
import { purgeRateLimits } from '../domain/guards/rate-limit.ts';
import type { Services } from './services.ts';
import { createTokenService } from '../domain/tokens/one-time.ts';
import { createFlowStore } from '../domain/flow-state/store.ts';
import { createFlowStarts } from '../domain/flow-state/binding.ts';
import { registerSelfClient } from '../oidc/self-client.ts';
import { createEidVerifier } from '../methods/eid-card/verifier.ts';
import { createCardStep } from '../methods/eid-card/card-step.ts';
import { createReactivationService } from '../flows/reactivation/service.ts';
import { purgeUnactivated } from '../flows/registration/purge.ts';
import { noticeReviewers } from '../flows/admin/review-notices.ts';
import { TYPED_QUERY } from '../flows/admin/routes.ts';
import { settleFinishedDeliveries } from '../domain/notifications/service.ts';
import { createLoginThrottle } from '../methods/password/throttle.ts';
import { createCaptcha } from '../domain/guards/captcha.ts';
import { captchaAssets } from '../flows/captcha/routes.ts';
import { passkeyBrowserScript } from '../flows/login/passkey.ts';
import { renderPage } from '../platform/web/page.ts';
import { createOutboxWorker, type OutboxWorker } from '../domain/messaging/worker.ts';
import { transportsFromConfig } from '../domain/messaging/transports.ts';
import { purgeOutbox } from '../domain/messaging/outbox.ts';
import { cookieSigner } from '../platform/web/cookie-signer.ts';
import { listen } from '../platform/listen.ts';

// The package's entry point: a program embedding the provider types the services it gets back.
export type { Services };

export interface RunningServer {
  url: string;
  services: Services;
  server: http.Server;
  outbox: OutboxWorker;
  /** Every route of our own pages and APIs ("METHOD /path/:param"), for tests that must cover them all. */
  routes: string[];
  close(): Promise<void>;
}

/** Everything a process needs before it serves: used by `idp start` and by the CLI's other commands. */
export async function createServices(config: Config, db: Db): Promise<Services & { refreshKeys(): Promise<void> }> {
  setDefaultLocale(config.defaultLocale);
  setHelpdesk(config.helpdeskContact);
  setTimeZone(config.timeZone);
  setGeoIp(config.geoipDb);
  setTheme(
    config.themeDir ? loadTheme(config.themeDir) : undefined,
    Object.fromEntries(Object.entries(config.portalProfiles).flatMap(([name, p]) => (p.theme ? [[name, loadTheme(p.theme, name)]] : []))),
  );
  await migrate(db, config.databaseUrl);
  await ensureSigningKeys(db);
  const cookieKeys = config.cookieKeys ?? [await generatedSecret(db, 'cookie_key')];
  const users = createUserRepository({ uniqueEmail: config.uniqueEmail });
  const hasher = createPasswordHasher({
    memoryCost: config.argon2MemoryKib,
    timeCost: config.argon2TimeCost,
    parallelism: config.argon2Parallelism,
    concurrency: config.argon2Concurrency || Math.max(1, Math.floor(availableParallelism() / config.workers)),
  });
  // Keys rotated by another process reach this one at the next refresh: the provider is rebuilt on the new JWKS;
  // everything else it holds lives in the database, so in-flight logins are unaffected.
  let jwks = await loadJwks(db);
  const build = () => buildProvider({ config, db, users, jwks, cookieKeys, onLogout: forgetLogin });
  let provider = build();
  const tokenKey = config.tokenHmacKey ?? (await generatedSecret(db, 'token_hmac_key'));
  // Account pseudonyms in the log: the same in every process of a deployment, derived apart from the tokens' key.
  configureLog({ level: config.logLevel, key: createHmac('sha256', tokenKey).update('log pseudonyms').digest('hex') });
  const tokens = createTokenService({ key: tokenKey });
  return {
    config,
    db,
    users,
    hasher,
    cookieKeys,
    tokens,
    flows: createFlowStore(),
    flowStarts: createFlowStarts(db, config),
    deletion: createAccountDeletion({ db, users, tokens, days: config.accountDeletionDays, defaultLocale: config.defaultLocale }),
    provider: () => provider,
    async refreshKeys() {
      const next = await loadJwks(db);
      if (jwksFingerprint(next) === jwksFingerprint(jwks)) return;
      jwks = next;
      provider = build();
      log.info('signing keys reloaded', { kids: jwksFingerprint(jwks) });
    },
  };
}

export async function startServer(config: Config, opts: { db?: Db } = {}): Promise<RunningServer> {
  const db = opts.db ?? createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const services = await createServices(config, db);
  // The account pages' own client, at the address this process serves. Only a serving process writes it: an `idp`
  // command from a shell that lacks the server's ISSUER would register the account pages at another address.
  await registerSelfClient(services.provider(), config.issuerUrl);
  await lowerThreadPoolPriority(config.argon2Nice);
  const { users, hasher, cookieKeys } = services;
  const authenticator = createAuthenticator({
    db,
    users,
    hasher,
    identifierKind: config.loginIdentifier,
    throttle: createLoginThrottle(db, config),
  });
  const captcha = await createCaptcha(config, db);

  const cards = createCardStep(services, createEidVerifier(config, db));
  const parts: RouterParts = { services, authenticator, captcha, cards, reactivation: createReactivationService(services) };
  const built = ROUTERS.filter((m) => m.when?.(config) ?? true).map((m) => ({ kind: m.kind, router: m.router(parts) }));
  const apis = built.filter((b) => b.kind === 'api').map((b) => b.router);
  const pages = createRouter();
  pages.use(csrf(new URL(config.issuerUrl).origin));
  pages.use(keepAskedLanguage());
  for (const { router } of built.filter((b) => b.kind === 'page')) pages.use(nestable(router).routes(), router.allowedMethods());
  pages.get('/', (ctx) => renderPage(ctx, 'pages/home.njk', { titleKey: 'home.title' }));
  const health = healthRoutes(db);
  const protocol = protocolPaths(services.provider(), [health, ...apis, pages]);

  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: config.proxyHops });
  app.keys = cookieSigner(cookieKeys);
  app.use(recordRequests({ trustProxy: config.trustProxy }));
  // Probes first: no cookies, no CSRF, no page rendering.
  app.use(exceptOn(protocol, health.routes()));
  app.use(toIssuerHost(config.issuerUrl));
  // The look of the portal the person came from, for every page and mail this request renders.
  app.use((ctx, next) => runWithTheme(themeOf(portalOf(ctx, config).name), next));
  app.use(errorPages());
  app.use(checkClientAddress());
  app.use(refuseUnreadableQuery(TYPED_QUERY));
  app.use(securityHeaders());
  // Our assets, APIs and pages, passed by on the protocol's own paths.
  const ours = [staticFiles(), captchaAssets(), passkeyBrowserScript(), ...apis.flatMap((r) => [r.routes(), r.allowedMethods()]), pages.routes()];
  for (const middleware of ours) app.use(exceptOn(protocol, middleware));
  // Everything else is the protocol: discovery, /auth, /token, /jwks, /me, /session/end, …
  // The callback is cached per provider instance; a key refresh swaps the instance.
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  app.use(refuseLargeBody(PROTOCOL_BODY_LIMIT));
  app.use((ctx) => {
    const p = services.provider();
    let cb = callbacks.get(p);
    if (!cb) callbacks.set(p, (cb = p.callback()));
    ctx.respond = false;
    return cb(ctx.req, ctx.res);
  });

  const server = http.createServer(app.callback());
  answerUnreadableHeads(server, config.defaultLocale);
  try {
    await listen(server, config.port, config.host, { setting: 'PORT', advice: 'is another provider running there? Stop it, or set another PORT (and ISSUER)' });
  } catch (e) {
    // The open database would keep the process alive, and `npm start` would hang after saying why it failed.
    if (!opts.db) await db.destroy();
    throw e;
  }
  const { port } = server.address() as AddressInfo;

  const outbox: OutboxWorker = createOutboxWorker({
    db,
    transports: { ...transportsFromConfig(config), logout: createLogoutTransport(services.provider, db, users) },
    pollMs: config.outboxPollMs,
    maxAttempts: config.outboxMaxAttempts,
    backoff: { baseMs: config.outboxBackoffSeconds * 1000, maxMs: config.outboxBackoffMaxSeconds * 1000 },
  });
  outbox.start();

  const purge = async () => {
    await purgeExpired(db);
    await purgeRateLimits(db);
    await services.tokens.purge(db);
    await services.flows.purge(db);
    await settleFinishedDeliveries(db);
    await purgeOutbox(db, config.outboxRetentionDays);
    await purgeUnactivated(db, services.users, config);
    await purgeSessionDevices(db);
    await purgeAudit(db, config.auditRetentionDays);
    await services.deletion.purgeDue();
  };
  const timers = [
    setInterval(() => services.refreshKeys().catch((e) => log.error('key refresh failed', e)), config.keysRefreshSeconds * 1000),
    setInterval(() => purge().catch((e) => log.error('purge failed', e)), config.purgeIntervalSeconds * 1000),
    setInterval(() => noticeReviewers(services).catch((e) => log.error('review notice failed', e)), config.reviewNoticeSeconds * 1000),
  ];
  for (const t of timers) t.unref();

  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    services,
    server,
    outbox,
    routes: [...routesOf(apis), ...routesOf([pages])],
    async close() {
      for (const t of timers) clearInterval(t);
      await outbox.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.destroy();
    },
  };
}
