// The process, the protocol and its tokens: where it listens, its database, cookies, keys and timers.
import { z } from 'zod';
import { LOG_LEVELS } from '../../platform/log.ts';
import { helpdeskSetting } from '../../platform/web/helpdesk.ts';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../../platform/web/i18n.ts';
import { LOGIN_IDENTIFIERS } from '../../methods/password/identifiers.ts';
import { bool, port, seconds, positiveInt, url, secretList, urlList, responseTypes, idList, setting, wholeNumber } from './kinds.ts';

export const serverSettings = {
  nodeEnv: setting({
    env: 'NODE_ENV',
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    doc: 'production requires every secret, an https ISSUER, TRUST_PROXY=true (TLS ends at the reverse proxy, which makes cookies Secure), HELPDESK_CONTACT, and TERMS_URL and PRIVACY_URL unless REGISTRATION_MODES is none',
  }),
  port: setting({ env: 'PORT', schema: port, default: '3000', doc: 'TCP port the provider listens on (0 picks a free port)' }),
  host: setting({ env: 'HOST', schema: z.string().min(1), default: '127.0.0.1', doc: 'address to bind; 0.0.0.0 or :: behind a load balancer' }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    schema: z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
    doc: 'the least severe log lines written: debug, info (with an access line per request), warn, error, or silent',
  }),
  metricsPort: setting({
    env: 'METRICS_PORT',
    schema: port,
    default: '9464',
    doc: "TCP port of the Prometheus metrics listener (GET /metrics), apart from the provider's port; 0 turns it off",
  }),
  metricsHost: setting({
    env: 'METRICS_HOST',
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: 'address the metrics listener binds; keep it off the public network (the series name routes and counts, no personal data)',
  }),
  issuer: setting({
    env: 'ISSUER',
    schema: url.optional(),
    doc: 'public URL of the provider (default http://localhost:PORT); must match what relying apps use',
  }),
  workers: setting({
    env: 'WORKERS',
    schema: wholeNumber(1, 256),
    default: '1',
    doc: 'processes serving on the same port (Node cluster); more than 1 needs DATABASE_URL',
  }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    sensitive: true,
    schema: url.optional(),
    doc: 'PostgreSQL connection string; absent: embedded PostgreSQL (PGlite) under DATA_DIR',
  }),
  dataDir: setting({ env: 'DATA_DIR', schema: z.string().min(1), default: './data', doc: 'folder for the embedded database' }),
  responseTypes: setting({
    env: 'RESPONSE_TYPES',
    schema: responseTypes,
    default: 'code',
    doc: 'comma list of the OAuth response types offered: code, and only when a relying app cannot do without them id_token, code id_token (implicit and hybrid) or none',
  }),
  initialAccessToken: setting({
    env: 'IDP_INITIAL_ACCESS_TOKEN',
    sensitive: true,
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    doc: 'enables dynamic client registration (RFC 7591) with this bearer token',
  }),
  rateLimitClientRegistration: setting({
    env: 'RATE_LIMIT_CLIENT_REGISTRATION',
    schema: positiveInt,
    default: '20',
    doc: 'client registrations per initial access token per hour; further ones are answered 429',
  }),
  introspectionClients: setting({
    env: 'INTROSPECTION_CLIENTS',
    schema: idList,
    default: '',
    doc: 'comma list of client ids (resource servers) that may introspect tokens issued to other clients; any other client only its own',
  }),
  smtpUrl: setting({
    env: 'SMTP_URL',
    sensitive: true,
    schema: url.optional(),
    doc: 'SMTP server for mail, e.g. smtp://user:pass@mail:587; absent in development: mails go to the log and the outbox (see DEV_MAILBOX)',
  }),
  devMailbox: setting({
    env: 'DEV_MAILBOX',
    schema: bool.optional(),
    doc: "serve the outbox (every mail and SMS, with their links) at /dev/messages, to a browser that names the provider by a loopback name or by ISSUER's; default: only when HOST is a loopback address; never in production",
  }),
  mailFrom: setting({ env: 'MAIL_FROM', schema: z.string().min(3), default: 'Identity <no-reply@localhost>', doc: 'sender of every mail' }),
  trustProxy: setting({ env: 'TRUST_PROXY', schema: bool, default: 'false', doc: 'trust X-Forwarded-* from a reverse proxy (client IP, https)' }),
  proxyHops: setting({
    env: 'PROXY_HOPS',
    schema: wholeNumber(1, 10),
    default: '1',
    doc: 'with TRUST_PROXY: how many reverse proxies append to X-Forwarded-For; the client IP is the entry that many from the right, since entries further left are whatever the client sent',
  }),
  cookieKeys: setting({
    env: 'COOKIE_KEYS',
    schema: secretList.optional(),
    secret: true,
    doc: 'comma-separated keys (≥32 chars) signing cookies; the first signs, all verify',
  }),
  tokenHmacKey: setting({
    env: 'TOKEN_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    secret: true,
    doc: 'key of the HMAC under which mailed and shown tokens are stored',
  }),
  uniqueEmail: setting({
    env: 'UNIQUE_EMAIL',
    schema: bool,
    default: 'true',
    doc: 'one account per e-mail address; false lets several accounts share one (login then by username)',
  }),
  loginIdentifier: setting({
    env: 'LOGIN_IDENTIFIER',
    schema: z.enum(LOGIN_IDENTIFIERS),
    default: 'username_or_email',
    doc: 'what the login field accepts: username_or_email, username, email, customer_number or email_or_customer_number (a customer number finds only the account it was linked to at sign-up); a portal profile may set its own',
  }),
  defaultLocale: setting({
    env: 'DEFAULT_LOCALE',
    schema: z.enum(['nl', 'fr', 'de', 'en']),
    default: 'en',
    doc: 'language when neither ui_locales, the language cookie nor Accept-Language decides',
  }),
  timeZone: setting({
    env: 'TIME_ZONE',
    schema: z.string().trim().refine(isTimeZone, 'expected an IANA time zone such as Europe/Brussels or UTC'),
    default: DEFAULT_TIME_ZONE,
    doc: 'IANA time zone in which pages and mails show dates and times (when a session logged in, when a password changed), whatever the clock of the server',
  }),
  helpdeskContact: setting({
    env: 'HELPDESK_CONTACT',
    schema: helpdeskSetting.optional(),
    doc: 'the helpdesk named on the recovery, blocked-account and error pages and at the foot of every mail, as JSON: one contact `{"name":"City helpdesk","email":"help@example.be","phone":"+32 9 123 45 67","url":"https://example.be/help","hours":"Mon–Fri 9–17"}` (each field optional, one of email, phone, url required) or one per language `{"nl":{…},"fr":{…}}` (a language without one gets the en or else the first)',
  }),
  themeDir: setting({
    env: 'THEME_DIR',
    schema: z.string().min(1).optional(),
    doc: 'folder of a theme (see examples/theme): theme.json (organisation name, logo, favicon, colours checked against WCAG AA at start, privacy and terms links, mail header and footer), templates/ and static/ overriding the shipped views/ and views/static/ file by file; absent: the neutral default look',
  }),
  geoipDb: setting({
    env: 'GEOIP_DB',
    schema: z.string().min(1).optional(),
    doc: 'a MaxMind DB file of cities or countries (e.g. GeoLite2-City.mmdb), read at start: /account/sessions then shows the approximate place of each session (never logged); absent: the network (IPv4 /24, IPv6 /48)',
  }),
  argon2MemoryKib: setting({
    env: 'ARGON2_MEMORY_KIB',
    schema: wholeNumber(8192, undefined, 'KiB'),
    default: '19456',
    doc: 'argon2id memory cost (OWASP: 19456); hashes are upgraded at the next login when changed',
  }),
  argon2TimeCost: setting({ env: 'ARGON2_TIME_COST', schema: wholeNumber(1), default: '2', doc: 'argon2id iterations' }),
  argon2Parallelism: setting({ env: 'ARGON2_PARALLELISM', schema: wholeNumber(1), default: '1', doc: 'argon2id lanes' }),
  argon2Concurrency: setting({
    env: 'ARGON2_CONCURRENCY',
    schema: wholeNumber(0, 64),
    default: '0',
    doc: 'argon2id computations a process runs at once, the others waiting their turn, so that hashing leaves the event loop a share of the cores; 0: the cores divided among WORKERS (at least 1)',
  }),
  argon2Nice: setting({
    env: 'ARGON2_NICE',
    schema: wholeNumber(0, 19),
    default: '10',
    doc: 'nice value (Linux) of the thread pool that hashes passwords, so that the event loop gets a core first and pages stay fast while logins hash; the pool still takes every idle cycle; 0: same priority as the event loop',
  }),
  accessTokenTtl: setting({ env: 'ACCESS_TOKEN_TTL', schema: seconds, default: '600', doc: 'access token lifetime, seconds' }),
  idTokenTtl: setting({ env: 'ID_TOKEN_TTL', schema: seconds, default: '600', doc: 'ID token lifetime, seconds' }),
  refreshTokenTtl: setting({ env: 'REFRESH_TOKEN_TTL', schema: seconds, default: '1209600', doc: 'refresh token lifetime, seconds (rotated at each use)' }),
  sessionTtl: setting({ env: 'SESSION_TTL', schema: seconds, default: '86400', doc: 'login session lifetime, seconds' }),
  resourceServers: setting({
    env: 'RESOURCE_SERVERS',
    schema: urlList,
    default: '',
    doc: 'comma list of API URLs (RFC 8707 resource indicators): a token asked with resource=URL is a JWT access token (RFC 9068, ES256) the API checks against the JWKS, with no database row; other tokens stay opaque',
  }),
  clientCacheSeconds: setting({
    env: 'CLIENT_CACHE_SECONDS',
    schema: wholeNumber(0, 300),
    default: '5',
    doc: "how long a process keeps a client's settings in memory; a client changed through another process is seen within this time (0: always read the database)",
  }),
  accountCacheSeconds: setting({
    env: 'ACCOUNT_CACHE_SECONDS',
    schema: wholeNumber(0, 60),
    default: '5',
    doc: "how long a process keeps the account it read for a token's claims (userinfo, refresh, code exchange); a name or contact changed is released within this time, a blocked account's tokens end at once all the same (0: always read the database)",
  }),
  upstreamCacheSeconds: setting({
    env: 'UPSTREAM_CACHE_SECONDS',
    schema: wholeNumber(0, 300),
    default: '5',
    doc: 'how long a process keeps the list of upstream providers the login page shows (and whether the account menu offers linked logins); one added or removed through another process is shown within this time (0: always read the database)',
  }),
  keysRefreshSeconds: setting({
    env: 'KEYS_REFRESH_SECONDS',
    schema: seconds,
    default: '60',
    doc: 'how often a process reloads signing keys rotated by another',
  }),
  purgeIntervalSeconds: setting({
    env: 'PURGE_INTERVAL_SECONDS',
    schema: seconds,
    default: '300',
    doc: 'how often expired sessions, tokens and flows are deleted',
  }),
} as const;
