// Composes the provider: database, keys, oidc-provider, our pages, and the background jobs of a process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Config } from './settings.ts';
import { createDb, type Db } from '../platform/db/knex.ts';
import { migrate } from '../platform/db/migrate.ts';
import { ensureSigningKeys, jwksFingerprint, loadJwks } from '../oidc/keys.ts';
import { buildProvider } from '../oidc/provider.ts';
import { purgeExpired } from '../domain/oidc-models/adapter.ts';
import { generatedSecret } from '../platform/secrets.ts';
import { createUserRepository, type UserRepository } from '../domain/accounts/repository.ts';
import { createPasswordHasher, type PasswordHasher } from '../domain/accounts/passwords.ts';
import { createAuthenticator } from '../methods/password/authenticate.ts';
import { loginRoutes } from '../flows/login/routes.ts';
import { upstreamRoutes } from '../flows/upstream/routes.ts';
import { upstreamsFor } from '../domain/upstreams/repository.ts';
import { securityHeaders, csrf } from '../platform/web/security.ts';
import { errorPages } from '../platform/web/error-pages.ts';
import { refuseNulInQuery } from '../platform/web/form.ts';
import { staticFiles } from '../platform/web/static.ts';
import { languageRoutes } from '../platform/web/language.ts';
import { setDefaultLocale } from '../platform/web/locale.ts';
import { log } from '../platform/log.ts';
import type { Services } from './services.ts';

export type { Services };
import { createTokenService, type TokenService } from '../domain/tokens/one-time.ts';
import { createFlowStore, type FlowStore } from '../domain/flow-state/store.ts';
import { createFlowStarts, type FlowStarts } from '../domain/flow-state/binding.ts';
import { registerSelfClient } from '../oidc/self-client.ts';
import { selfRoutes } from '../flows/self/routes.ts';
import { createEidVerifier } from '../methods/eid-card/verifier.ts';
import { eidRoutes } from '../flows/eid/routes.ts';
import { reactivationApi } from '../flows/reactivation/api.ts';
import { reactivationRoutes } from '../flows/reactivation/routes.ts';
import { registrationRoutes } from '../flows/registration/routes.ts';
import { purgeUnactivated } from '../flows/registration/purge.ts';
import { settleFinishedDeliveries } from '../domain/notifications/service.ts';
import { adminRoutes } from '../flows/admin/routes.ts';
import { accountRoutes } from '../flows/account/routes.ts';
import { organisationAdminRoutes } from '../flows/admin/organisations.ts';
import { notificationApi } from '../flows/api/notifications.ts';
import { createLoginThrottle } from '../methods/password/throttle.ts';
import { recoveryRoutes } from '../flows/recovery/routes.ts';
import { createCaptcha } from '../domain/guards/captcha.ts';
import { captchaAssets, captchaRoutes } from '../flows/captcha/routes.ts';
import { renderPage } from '../platform/web/page.ts';
import { createOutboxWorker, type OutboxWorker } from '../domain/messaging/worker.ts';
import { transportsFromConfig } from '../domain/messaging/transports.ts';
import { devMessagesRouter, servesDevMailbox } from '../domain/messaging/dev-messages.ts';
import { purgeOutbox } from '../domain/messaging/outbox.ts';


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
  await migrate(db, config.databaseUrl);
  await ensureSigningKeys(db);
  const cookieKeys = config.cookieKeys ?? [await generatedSecret(db, 'cookie_key')];
  const users = createUserRepository({ uniqueEmail: config.uniqueEmail });
  const hasher = createPasswordHasher({
    memoryCost: config.argon2MemoryKib,
    timeCost: config.argon2TimeCost,
    parallelism: config.argon2Parallelism,
  });
  // Keys rotated by another process reach this one at the next refresh: the provider is rebuilt on the new JWKS;
  // everything else it holds lives in the database, so in-flight logins are unaffected.
  let jwks = await loadJwks(db);
  let provider = buildProvider({ config, db, users, jwks, cookieKeys });
  await registerSelfClient(provider, config.issuerUrl);
  const tokens = createTokenService({ key: config.tokenHmacKey ?? (await generatedSecret(db, 'token_hmac_key')) });
  return {
    config,
    db,
    users,
    hasher,
    cookieKeys,
    tokens,
    flows: createFlowStore(),
    flowStarts: createFlowStarts(db, config),
    provider: () => provider,
    async refreshKeys() {
      const next = await loadJwks(db);
      if (jwksFingerprint(next) === jwksFingerprint(jwks)) return;
      jwks = next;
      provider = buildProvider({ config, db, users, jwks, cookieKeys });
      log.info('signing keys reloaded', { kids: jwksFingerprint(jwks) });
    },
  };
}

export async function startServer(config: Config, opts: { db?: Db } = {}): Promise<RunningServer> {
  const db = opts.db ?? createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const services = await createServices(config, db);
  const { users, hasher, cookieKeys } = services;
  const authenticator = createAuthenticator({ db, users, hasher, identifierKind: config.loginIdentifier, throttle: createLoginThrottle(db, config) });
  const captcha = await createCaptcha(config, db);

  const app = new Koa({ keys: cookieKeys, proxy: config.trustProxy, maxIpsCount: config.proxyHops });
  app.use(errorPages());
  app.use(refuseNulInQuery());
  app.use(securityHeaders());
  app.use(staticFiles());
  app.use(captchaAssets());

  const pages = new Router();
  pages.use(csrf(new URL(config.issuerUrl).origin));
  const eid = createEidVerifier(config, db);
  const routers = [loginRoutes({ config, provider: services.provider, authenticator, upstreamButtons: () => upstreamsFor(db, 'login') }), languageRoutes(), selfRoutes(services), accountRoutes(services), organisationAdminRoutes(services), captchaRoutes(captcha), recoveryRoutes(services, captcha), registrationRoutes(services, eid), adminRoutes(services), eidRoutes(services, eid), reactivationRoutes(services, captcha, eid), upstreamRoutes(services, authenticator, eid)];
  if (servesDevMailbox(config)) routers.push(devMessagesRouter(db));
  for (const r of routers) {
    pages.use(r.routes(), r.allowedMethods());
  }
  pages.get('/', (ctx) => renderPage(ctx, 'pages/home.njk', { titleKey: 'home.title' }));
  pages.get('/healthz', async (ctx) => {
    await db.raw('select 1');
    ctx.body = { status: 'ok' };
  });
  // The JSON API authenticates with bearer tokens: outside the pages' CSRF middleware, which sets a cookie.
  const api = notificationApi(services);
  app.use(api.routes()).use(api.allowedMethods());
  const eidApi = reactivationApi(services, eid);
  app.use(eidApi.routes()).use(eidApi.allowedMethods());
  app.use(pages.routes());
  // Everything else is the protocol: discovery, /auth, /token, /jwks, /me, /session/end, …
  // The callback is cached per provider instance; a key refresh swaps the instance.
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  app.use((ctx) => {
    const p = services.provider();
    let cb = callbacks.get(p);
    if (!cb) callbacks.set(p, (cb = p.callback()));
    ctx.respond = false;
    return cb(ctx.req, ctx.res);
  });

  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const outbox: OutboxWorker = createOutboxWorker({
    db,
    transports: transportsFromConfig(config),
    pollMs: config.outboxPollMs,
    maxAttempts: config.outboxMaxAttempts,
    backoff: { baseMs: config.outboxBackoffSeconds * 1000, maxMs: config.outboxBackoffMaxSeconds * 1000 },
  });
  outbox.start();

  const purge = async () => {
    await purgeExpired(db);
    await services.tokens.purge(db);
    await services.flows.purge(db);
    await settleFinishedDeliveries(db);
    await purgeOutbox(db, config.outboxRetentionDays);
    await purgeUnactivated(db, services.users, config);
  };
  const timers = [
    setInterval(() => services.refreshKeys().catch((e) => log.error('key refresh failed', e)), config.keysRefreshSeconds * 1000),
    setInterval(() => purge().catch((e) => log.error('purge failed', e)), config.purgeIntervalSeconds * 1000),
  ];
  for (const t of timers) t.unref();

  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    services,
    server,
    outbox,
    routes: pages.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`)),
    async close() {
      for (const t of timers) clearInterval(t);
      await outbox.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.destroy();
    },
  };
}
