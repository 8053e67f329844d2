// Every setting of the provider, declared once: environment variable, type, default and a doc line.
// `loadConfig` parses them all at start; a bad value stops the start with a message naming the variable.
// `settingsTable()` renders the README's table from the same declarations, so the two cannot drift.
import { z } from 'zod';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { BELGIAN_CA_ISSUER_HOSTS } from '../eid/ca-issuer-hosts.ts';
import { ConfigError } from '../platform/errors.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535);
const seconds = z.coerce.number({ message: 'expected a number of seconds' }).int().positive();
const positiveInt = z.coerce.number({ message: 'expected a whole number' }).int().positive();
const url = z.url({ message: 'expected a URL such as http://localhost:3000' });
const secretList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')).min(1, 'expected at least one key'));

const urlList = z
  .string()
  .transform((s) => [
    ...new Set(
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(z.url({ message: 'each entry must be a URL such as https://api.example.be' })));

const hostList = z
  .string()
  .transform((s) =>
    s.trim() === 'none'
      ? []
      : [
          ...new Set(
            s
              .split(',')
              .map((h) => h.trim().toLowerCase())
              .filter(Boolean),
          ),
        ],
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9.-]+$/, 'each entry must be a host name such as certs.eid.belgium.be')));

// OAuth 2.1 and RFC 9700 steer away from implicit and hybrid flows: code is the default, the others are opt-in.
const RESPONSE_TYPES = ['code', 'id_token', 'code id_token', 'none'] as const;
const responseTypes = z
  .string()
  .transform((s) => [
    ...new Set(
      s
        .split(',')
        .map((t) => t.trim().replace(/\s+/g, ' '))
        .filter(Boolean),
    ),
  ])
  .pipe(
    z.array(z.enum(RESPONSE_TYPES, { message: `each response type is one of ${RESPONSE_TYPES.join(', ')}` })).min(1, 'expected at least one response type'),
  );

const idList = z.string().transform((s) => [
  ...new Set(
    s
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean),
  ),
]);

const REGISTRATION_MODES = ['open', 'invitation', 'customer'] as const;
const registrationModes = z
  .string()
  .transform((s) =>
    s.trim() === 'none'
      ? []
      : [
          ...new Set(
            s
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean),
          ),
        ],
  )
  .pipe(z.array(z.enum(REGISTRATION_MODES, { message: `each mode is one of ${REGISTRATION_MODES.join(', ')} (or the single word none)` })));

interface Setting<T extends z.ZodType> {
  env: string;
  schema: T;
  /** Shown in the README; `undefined` means "no default". */
  default?: string;
  doc: string;
  /** Secrets are generated and kept in the database in development; production requires them. */
  secret?: boolean;
  /** A credential, or a URL that may carry one: its value is never repeated in a message (secrets never are). */
  sensitive?: boolean;
}

function setting<T extends z.ZodType>(s: Setting<T>): Setting<T> {
  return s;
}

export const settings = {
  nodeEnv: setting({
    env: 'NODE_ENV',
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    doc: 'production requires every secret, an https ISSUER and TRUST_PROXY=true (TLS ends at the reverse proxy, which makes cookies Secure)',
  }),
  port: setting({ env: 'PORT', schema: port, default: '3000', doc: 'TCP port the provider listens on (0 picks a free port)' }),
  host: setting({ env: 'HOST', schema: z.string().min(1), default: '127.0.0.1', doc: 'address to bind; 0.0.0.0 or :: behind a load balancer' }),
  issuer: setting({
    env: 'ISSUER',
    schema: url.optional(),
    doc: 'public URL of the provider (default http://localhost:PORT); must match what relying apps use',
  }),
  workers: setting({
    env: 'WORKERS',
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(1).max(256),
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
    doc: 'serve the outbox (every mail and SMS, with their links) at /dev/messages; default: only when HOST is a loopback address; never in production',
  }),
  mailFrom: setting({ env: 'MAIL_FROM', schema: z.string().min(3), default: 'Identity <no-reply@localhost>', doc: 'sender of every mail' }),
  trustProxy: setting({ env: 'TRUST_PROXY', schema: bool, default: 'false', doc: 'trust X-Forwarded-* from a reverse proxy (client IP, https)' }),
  proxyHops: setting({
    env: 'PROXY_HOPS',
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(1).max(10),
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
    schema: z.enum(['username_or_email', 'username', 'email']),
    default: 'username_or_email',
    doc: 'what the login field accepts',
  }),
  defaultLocale: setting({
    env: 'DEFAULT_LOCALE',
    schema: z.enum(['nl', 'fr', 'de', 'en']),
    default: 'en',
    doc: 'language when neither ui_locales, the language cookie nor Accept-Language decides',
  }),
  argon2MemoryKib: setting({
    env: 'ARGON2_MEMORY_KIB',
    schema: z.coerce.number().int().min(8192),
    default: '19456',
    doc: 'argon2id memory cost (OWASP: 19456); hashes are upgraded at the next login when changed',
  }),
  argon2TimeCost: setting({ env: 'ARGON2_TIME_COST', schema: z.coerce.number().int().min(1), default: '2', doc: 'argon2id iterations' }),
  argon2Parallelism: setting({ env: 'ARGON2_PARALLELISM', schema: z.coerce.number().int().min(1), default: '1', doc: 'argon2id lanes' }),
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
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(0).max(300),
    default: '5',
    doc: "how long a process keeps a client's settings in memory; a client changed through another process is seen within this time (0: always read the database)",
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
  smsGatewayUrl: setting({
    env: 'SMS_GATEWAY_URL',
    schema: url.optional(),
    doc: 'HTTP endpoint of the SMS gateway; absent in development: SMS go to the log and the outbox (see DEV_MAILBOX)',
  }),
  smsGatewayMethod: setting({
    env: 'SMS_GATEWAY_METHOD',
    schema: z.enum(['POST', 'PUT', 'PATCH']),
    default: 'POST',
    doc: 'HTTP method of the SMS gateway request',
  }),
  smsGatewayAuthHeader: setting({
    env: 'SMS_GATEWAY_AUTH_HEADER',
    sensitive: true,
    schema: z.string().min(1).optional(),
    doc: 'sent as Authorization ("Bearer …", "Basic …"), or a whole "Name: value" header such as "X-Api-Key: …"; never logged',
  }),
  smsGatewayBodyTemplate: setting({
    env: 'SMS_GATEWAY_BODY_TEMPLATE',
    schema: z.string().min(1),
    default: '{"to":"{{to}}","text":"{{text}}"}',
    doc: 'request body; {{to}} (E.164 number) and {{text}} are substituted, escaped for the content type (JSON or form)',
  }),
  smsGatewayContentType: setting({
    env: 'SMS_GATEWAY_CONTENT_TYPE',
    schema: z.string().min(1),
    default: 'application/json',
    doc: 'Content-Type of the SMS gateway request',
  }),
  smsGatewayTimeout: setting({
    env: 'SMS_GATEWAY_TIMEOUT',
    schema: seconds,
    default: '10',
    doc: 'seconds before an unanswered SMS gateway request counts as failed and is retried',
  }),
  outboxPollMs: setting({
    env: 'OUTBOX_POLL_MS',
    schema: positiveInt,
    default: '2000',
    doc: 'how often the outbox worker looks for mails and SMS to send, milliseconds',
  }),
  outboxMaxAttempts: setting({
    env: 'OUTBOX_MAX_ATTEMPTS',
    schema: positiveInt,
    default: '10',
    doc: 'delivery attempts of one mail or SMS before it is marked failed',
  }),
  outboxBackoffSeconds: setting({
    env: 'OUTBOX_BACKOFF_SECONDS',
    schema: seconds,
    default: '30',
    doc: 'wait before the first retry; it doubles at each further attempt',
  }),
  outboxBackoffMaxSeconds: setting({ env: 'OUTBOX_BACKOFF_MAX_SECONDS', schema: seconds, default: '3600', doc: 'longest wait between two delivery attempts' }),
  outboxRetentionDays: setting({
    env: 'OUTBOX_RETENTION_DAYS',
    schema: positiveInt,
    default: '30',
    doc: 'sent and failed mails and SMS are deleted after this many days',
  }),
  passwordPolicy: setting({
    env: 'PASSWORD_POLICY',
    schema: z.enum(['nist', 'composition']),
    default: 'nist',
    doc: 'nist: long, not common, not the username; composition: 8+ characters with digit, special, upper and lower case, no ABC/123 runs',
  }),
  passwordMinLength: setting({
    env: 'PASSWORD_MIN_LENGTH',
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(8).optional(),
    doc: 'minimum password length in characters; default 12 with nist, 8 with composition',
  }),
  passwordMaxLength: setting({
    env: 'PASSWORD_MAX_LENGTH',
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(64),
    default: '128',
    doc: 'maximum password length in characters (at least 64)',
  }),
  passwordBlocklist: setting({
    env: 'PASSWORD_BLOCKLIST',
    schema: bool.optional(),
    doc: 'refuse the ~40,000 most common passwords; default true with nist, false with composition',
  }),
  resetTokenTtl: setting({
    env: 'RESET_TOKEN_TTL',
    schema: seconds,
    default: '900',
    doc: 'how long a mailed password reset link stays valid, seconds (it works once)',
  }),
  recoveryResponseMs: setting({
    env: 'RECOVERY_RESPONSE_MS',
    schema: positiveInt,
    default: '500',
    doc: 'the "forgot password" form answers after at least this many milliseconds (plus jitter), whether or not an account matched',
  }),
  captcha: setting({
    env: 'CAPTCHA',
    schema: z.enum(['altcha', 'off']),
    default: 'altcha',
    doc: 'CAPTCHA on the recovery form: altcha (self-hosted proof of work, no third-party request) or off (tests)',
  }),
  captchaHmacKey: setting({
    env: 'CAPTCHA_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    secret: true,
    doc: 'key signing the CAPTCHA challenges',
  }),
  captchaCost: setting({ env: 'CAPTCHA_COST', schema: positiveInt, default: '5000', doc: 'ALTCHA complexity: PBKDF2 iterations per try' }),
  captchaMaxCounter: setting({
    env: 'CAPTCHA_MAX_COUNTER',
    schema: z.coerce.number({ message: 'expected a whole number' }).int().min(2),
    default: '5000',
    doc: 'ALTCHA complexity: a browser makes between half this and this many tries (about 2 s on a laptop with the defaults)',
  }),
  captchaTtl: setting({
    env: 'CAPTCHA_TTL',
    schema: seconds,
    default: '600',
    doc: 'seconds a CAPTCHA challenge can be solved and sent; each is accepted once',
  }),
  rateLimitIp: setting({
    env: 'RATE_LIMIT_IP',
    schema: positiveInt,
    default: '50',
    doc: 'failed logins, code entries and recovery requests per IP address per 15 minutes before delays grow',
  }),
  rateLimitRecovery: setting({
    env: 'RATE_LIMIT_RECOVERY',
    schema: positiveInt,
    default: '3',
    doc: 'recovery mails per e-mail address and requester (IP address, /64 for IPv6, or a browser that has logged in to the account) per 15 minutes; further requests get the same answer but no mail',
  }),
  rateLimitAddressMails: setting({
    env: 'RATE_LIMIT_ADDRESS_MAILS',
    schema: positiveInt,
    default: '20',
    doc: 'recovery or sign-up mails one address receives per hour, whoever asks; past it only a browser that has logged in to the account still gets its recovery mail',
  }),
  rateLimitMaxDelay: setting({
    env: 'RATE_LIMIT_MAX_DELAY',
    schema: seconds,
    default: '30',
    doc: 'longest delay, seconds: past a limit each failure doubles the wait before the next attempt is checked (1 s, 2 s, 4 s…)',
  }),
  registrationModes: setting({
    env: 'REGISTRATION_MODES',
    schema: registrationModes,
    default: 'open',
    doc: 'comma list of sign-up modes: open (anyone), invitation (usernames and initial passwords from `idp invitations import`), customer (customer number from `idp customers import`); none disables sign-up',
  }),
  activationTtl: setting({ env: 'ACTIVATION_TTL', schema: seconds, default: '86400', doc: 'validity of an activation link, seconds' }),
  pendingAccountDays: setting({
    env: 'PENDING_ACCOUNT_DAYS',
    schema: positiveInt,
    default: '30',
    doc: 'a sign-up never activated is deleted this many days after its last activation link expired (an invitation becomes usable again)',
  }),
  termsVersion: setting({
    env: 'TERMS_VERSION',
    schema: z.string().trim().min(1).max(40),
    default: '1',
    doc: 'version of the terms of use a sign-up accepts (stored with the time of acceptance)',
  }),
  privacyVersion: setting({
    env: 'PRIVACY_VERSION',
    schema: z.string().trim().min(1).max(40),
    default: '1',
    doc: 'version of the privacy policy a sign-up accepts (stored with the time of acceptance)',
  }),
  termsUrl: setting({ env: 'TERMS_URL', schema: url.optional(), doc: 'where the sign-up pages link the terms of use' }),
  privacyUrl: setting({ env: 'PRIVACY_URL', schema: url.optional(), doc: 'where the sign-up pages link the privacy policy' }),
  phoneDefaultRegion: setting({
    env: 'PHONE_DEFAULT_REGION',
    schema: z
      .string()
      .refine(isSupportedCountry, 'expected a two-letter country code such as BE')
      .transform((c) => c),
    default: 'BE',
    doc: 'country of a mobile number typed without +: 0490 12 34 56 is read as +32490123456 with BE',
  }),
  phoneCodeTtl: setting({
    env: 'PHONE_CODE_TTL',
    schema: seconds,
    default: '600',
    doc: 'how long the code texted to verify a mobile number stays valid, seconds',
  }),
  phoneCodeAttempts: setting({
    env: 'PHONE_CODE_ATTEMPTS',
    schema: positiveInt,
    default: '5',
    doc: 'wrong entries of a texted code before it is voided and a new one must be asked for',
  }),
  rateLimitSmsCodes: setting({ env: 'RATE_LIMIT_SMS_CODES', schema: positiveInt, default: '5', doc: 'verification SMS an account may ask for per hour' }),
  emailChangeTtl: setting({
    env: 'EMAIL_CHANGE_TTL',
    schema: seconds,
    default: '86400',
    doc: 'how long the link confirming a new e-mail address stays valid, seconds',
  }),
  nationalNumberHmacKey: setting({
    env: 'NATIONAL_NUMBER_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    secret: true,
    doc: 'key of the HMAC under which an account keeps the national number of its linked eID (the number itself is never stored); changing it unlinks every card',
  }),
  eidTrustAnchors: setting({
    env: 'EID_TRUST_ANCHORS',
    schema: z.string().min(1).optional(),
    doc: 'folder of the CA certificates (.pem, .crt, .cer, .der) an eID card must chain to; absent: the Belgian roots shipped in provider/eid/trust-anchors',
  }),
  eidOcspResponderUrl: setting({
    env: 'EID_OCSP_RESPONDER_URL',
    schema: url.optional(),
    doc: "OCSP responder asked about every eID card; absent: the one named in the card's certificate",
  }),
  eidCaIssuersHosts: setting({
    env: 'EID_CA_ISSUERS_HOSTS',
    schema: hostList,
    default: BELGIAN_CA_ISSUER_HOSTS.join(','),
    doc: "hosts from which the provider may fetch the CA that issued an eID card, at the address the card's certificate names, when that CA is not in EID_TRUST_ANCHORS (it must still chain to an anchor); none: never",
  }),
  eidOcspFailOpen: setting({
    env: 'EID_OCSP_FAIL_OPEN',
    schema: bool,
    default: 'false',
    doc: 'accept an eID card when the OCSP responder cannot be reached (never when it says revoked or unknown)',
  }),
  eidBridgeUrl: setting({
    env: 'EID_BRIDGE_URL',
    schema: url,
    default: 'http://127.0.0.1:24127',
    doc: "where the eID pages look for the card bridge (`eid-bridge serve`) on the citizen's computer",
  }),
  eidRegistration: setting({
    env: 'EID_REGISTRATION',
    schema: bool,
    default: 'false',
    doc: 'offer registration with the eID card (name from the card, national number kept only as HMAC)',
  }),
  activationTokenTtl: setting({
    env: 'ACTIVATION_TOKEN_TTL',
    schema: seconds,
    default: '600',
    doc: 'validity of the 6-character activation token shown after an eID reactivation, seconds (single use)',
  }),
  activationTokenTries: setting({
    env: 'ACTIVATION_TOKEN_TRIES',
    schema: positiveInt,
    default: '5',
    doc: "wrong activation tokens one requester (IP address, an IPv6 /64) may type for one mobile number per hour; a wrong try never voids the owner's token",
  }),
  activationTokenTriesGlobal: setting({
    env: 'ACTIVATION_TOKEN_TRIES_GLOBAL',
    schema: positiveInt,
    default: '30',
    doc: 'wrong activation tokens typed for one mobile number per hour from all requesters together, against guessing from many addresses',
  }),
  rateLimitReactivation: setting({
    env: 'RATE_LIMIT_REACTIVATION',
    schema: positiveInt,
    default: '5',
    doc: 'activation tokens one requester (IP address, an IPv6 /64) may obtain for one mobile number per hour, counted only after the card or bank proved the account; a requester may start 4 times as many reactivations per hour',
  }),
  rateLimitFlows: setting({
    env: 'RATE_LIMIT_FLOWS',
    schema: positiveInt,
    default: '120',
    doc: 'self-service flows (sign-up, eID, reactivation, bank login) one client address may start per minute (a school or office behind one address shares it); each start stores a row until it expires',
  }),
  rateLimitRegistration: setting({
    env: 'RATE_LIMIT_REGISTRATION',
    schema: positiveInt,
    default: '100',
    doc: 'sign-up forms sent and activation mails asked again per IP address per hour',
  }),
  rateLimitRegistrationMails: setting({
    env: 'RATE_LIMIT_REGISTRATION_MAILS',
    schema: positiveInt,
    default: '5',
    doc: 'sign-up mails per address and requester (IP address or IPv6 /64) per hour; further sign-ups get the same answer but no mail',
  }),
  rateLimitInvitation: setting({
    env: 'RATE_LIMIT_INVITATION',
    schema: positiveInt,
    default: '10',
    doc: "tries of an invitation's username and initial password per username per 15 minutes",
  }),
  rateLimitCustomer: setting({
    env: 'RATE_LIMIT_CUSTOMER',
    schema: positiveInt,
    default: '20',
    doc: 'customer numbers and names that match no record, per IP address per hour',
  }),
  upstreamSecretKey: setting({
    env: 'UPSTREAM_SECRET_KEY',
    sensitive: true,
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'key encrypting the client secrets of upstream identity providers (`idp upstreams add`); generated and kept in the database in development, required in production before an upstream is added (secret)',
  }),
  rateLimitLogin: setting({
    env: 'RATE_LIMIT_LOGIN',
    schema: positiveInt,
    default: '10',
    doc: 'failed logins per identifier as typed (or per browser that has logged in to the account) per 15 minutes before delays grow; at this count the account holder is told by mail',
  }),
} as const;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> } & {
  /** Resolved issuer (ISSUER or http://localhost:PORT), without trailing slash. */
  issuerUrl: string;
  production: boolean;
};

/** Parses every setting from `env`; throws ConfigError listing each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, s] of Object.entries(settings) as [keyof Settings, Setting<z.ZodType>][]) {
    const raw = env[s.env] === '' ? undefined : env[s.env];
    const parsed = s.schema.safeParse(raw ?? s.default);
    if (parsed.success) out[key] = parsed.data;
    else
      problems.push(
        `${s.env}${s.secret || s.sensitive ? ' (value not shown)' : `=${JSON.stringify(raw ?? '')}`}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  const production = out.nodeEnv === 'production';
  if (production) {
    for (const [key, s] of Object.entries(settings) as [keyof Settings, Setting<z.ZodType>][]) {
      if (s.secret && out[key] === undefined) problems.push(`${s.env} is required when NODE_ENV=production`);
    }
    if (!env.ISSUER) problems.push('ISSUER is required when NODE_ENV=production');
    else if (!/^https:\/\//.test(env.ISSUER)) problems.push('ISSUER must be an https URL when NODE_ENV=production');
    // The provider speaks plain HTTP: TLS ends at a reverse proxy, whose X-Forwarded-Proto makes cookies Secure
    // and whose X-Forwarded-For names the client. Without trusting it, neither would hold.
    if (!out.trustProxy) problems.push('TRUST_PROXY=true is required when NODE_ENV=production (TLS ends at the reverse proxy)');
  }
  if (production && out.devMailbox) problems.push('DEV_MAILBOX=true is refused when NODE_ENV=production: the mailbox shows every reset and activation link');
  if ((out.workers as number) > 1 && !out.databaseUrl) problems.push('WORKERS>1 needs DATABASE_URL: the embedded database serves one process only');
  if (problems.length) throw new ConfigError(problems);
  const issuerUrl = ((out.issuer as string | undefined) ?? `http://localhost:${out.port as number}`).replace(/\/+$/, '');
  return { ...(out as Omit<Config, 'issuerUrl' | 'production'>), issuerUrl, production };
}

/** The README's table of settings, generated from the declarations above. */
export function settingsTable(): string {
  const rows = Object.values(settings).map(
    (s: Setting<z.ZodType>) => `| \`${s.env}\` | ${s.default === undefined ? '—' : `\`${s.default}\``} | ${s.doc}${s.secret ? ' (secret)' : ''} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
