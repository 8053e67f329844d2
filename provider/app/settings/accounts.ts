// Accounts and what guards them: passwords, recovery, the captcha, the limits, sign-up and contact details.
import { z } from 'zod';
import { bool, seconds, positiveInt, url, registrationModes, REGISTRATION_MODES, setting, wholeNumber } from './kinds.ts';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { LOGIN_IDENTIFIERS } from '../../methods/password/identifiers.ts';

export const accountSettings = {
  passwordPolicy: setting({
    env: 'PASSWORD_POLICY',
    schema: z.enum(['nist', 'composition']),
    default: 'nist',
    doc: 'nist: long, not common, not the username; composition: 8+ characters with digit, special, upper and lower case, no ABC/123 runs',
  }),
  passwordMinLength: setting({
    env: 'PASSWORD_MIN_LENGTH',
    schema: wholeNumber(8).optional(),
    doc: 'minimum password length in characters; default 12 with nist, 8 with composition',
  }),
  passwordMaxLength: setting({
    env: 'PASSWORD_MAX_LENGTH',
    schema: wholeNumber(64),
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
  signUpResponseMs: setting({
    env: 'SIGN_UP_RESPONSE_MS',
    schema: positiveInt,
    default: '500',
    doc: 'a sign-up and a request for a new activation link answer after at least this many milliseconds (plus jitter), whether or not an account had the address',
  }),
  captcha: setting({
    env: 'CAPTCHA',
    schema: z.enum(['altcha', 'off']),
    default: 'altcha',
    doc: 'CAPTCHA on the recovery and reactivation forms and on the first form of each sign-up mode (open, invitation slip, customer number) and the request for a new activation link: altcha (self-hosted proof of work, no third-party request) or off (tests)',
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
    schema: wholeNumber(2),
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
    doc: 'recovery, sign-up or address-change mails, or codes to an address added for alerts, one address receives per hour, whoever asks (each kind apart); past it only a browser that has logged in to the account still gets its recovery mail, an account its first mail to that address, a sign-up again from an activation link to that address its activation mail, and the address one recovery mail per half RESET_TOKEN_TTL, whoever asks, so that its newest reset link is live',
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
  portalProfiles: setting({
    env: 'PORTAL_PROFILES',
    schema: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected JSON: {"school": {"registrationModes": ["invitation"], "alerts": false, "phone": false}}' });
          return z.NEVER;
        }
      })
      .pipe(
        z.record(
          z.string().regex(/^[a-z0-9-]{1,40}$/, 'a profile name is 1 to 40 lower-case letters, digits or dashes'),
          z.strictObject({
            registrationModes: z.array(z.enum([...REGISTRATION_MODES, 'eid'])).optional(),
            alerts: z.boolean().default(true),
            phone: z.boolean().default(true),
            customerNumber: z.boolean().default(false),
            theme: z.string().min(1).optional(),
            loginIdentifier: z.enum(LOGIN_IDENTIFIERS).optional(),
          }),
        ),
      ),
    default: '{}',
    doc: 'portal profiles a relying app may name (`idp clients create --profile NAME`), as JSON `{"school": {"registrationModes": ["invitation"], "alerts": false, "phone": false, "theme": "examples/themes/school", "loginIdentifier": "username"}, "shop": {"customerNumber": true, "loginIdentifier": "email_or_customer_number"}}`: the sign-up modes offered, whether /account shows alerts and the mobile number, whether it shows the customer number, a theme folder of its own (as THEME_DIR, checked at start; its pages and the mails of their flows wear it) and what the login field accepts (as LOGIN_IDENTIFIER)',
  }),
  lockedNames: setting({
    env: 'LOCKED_NAMES',
    schema: registrationModes,
    default: 'invitation',
    doc: 'sign-up modes whose accounts cannot rewrite their names on /account but ask the office for a correction (open, invitation, customer; none: every name editable)',
  }),
  reviewNoticeSeconds: setting({
    env: 'REVIEW_NOTICE_SECONDS',
    schema: seconds,
    default: '3600',
    doc: 'staff (admin role, members of reviewer organisations) get at most one mail this often naming the requests newly waiting for review',
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
  termsUrl: setting({
    env: 'TERMS_URL',
    schema: url.optional(),
    doc: 'where the sign-up pages link the terms of use; required in production unless REGISTRATION_MODES is none',
  }),
  privacyUrl: setting({
    env: 'PRIVACY_URL',
    schema: url.optional(),
    doc: 'where the sign-up pages link the privacy policy; required in production unless REGISTRATION_MODES is none',
  }),
  phoneDefaultRegion: setting({
    env: 'PHONE_DEFAULT_REGION',
    schema: z
      .string()
      .refine(isSupportedCountry, 'expected a two-letter country code such as BE')
      .transform((c) => c),
    default: 'BE',
    doc: 'country of a mobile number typed without +: 0490 12 34 56 is read as +32490123456 with BE',
  }),
  smsCountries: setting({
    env: 'SMS_COUNTRIES',
    schema: z
      .string()
      .transform((s) => [...new Set(s.split(',').map((c) => c.trim().toUpperCase()))].filter(Boolean))
      .pipe(z.array(z.string().refine((c) => c === '*' || isSupportedCountry(c), 'expected two-letter country codes such as BE,NL, or *')).min(1)),
    default: 'BE,NL,LU,FR,DE',
    doc: 'countries (two-letter codes, comma-separated; * for all) whose mobile numbers a person may give on her own pages, for her account or her alerts: each is texted a code that the operator pays for. Staff, and a reactivation after its proof of identity, may give any',
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
  alertExtraContacts: setting({
    env: 'ALERT_EXTRA_CONTACTS',
    schema: wholeNumber(0, 10),
    default: '3',
    doc: 'extra e-mail addresses and, apart, extra mobile numbers a person may keep for alerts only (each verified by a code, each on or off); 0 turns them off',
  }),
  rateLimitSmsCodes: setting({
    env: 'RATE_LIMIT_SMS_CODES',
    schema: positiveInt,
    default: '5',
    doc: 'verification SMS an account may have sent per hour, to its own new number and to the numbers it adds for alerts together (codes mailed to addresses it adds for alerts: as many again, apart)',
  }),
  rateLimitNumberCodes: setting({
    env: 'RATE_LIMIT_NUMBER_CODES',
    schema: positiveInt,
    default: '10',
    doc: "verification SMS one mobile number receives per hour, whoever asks (as an account's own new number and as a number added for alerts, together), each account asking counted apart up to RATE_LIMIT_SMS_CODES; past it only an account's first code to that number in the hour still goes out, so that many accounts cannot flood a phone and a few cannot keep its owner from verifying it",
  }),
  emailChangeTtl: setting({
    env: 'EMAIL_CHANGE_TTL',
    schema: seconds,
    default: '86400',
    doc: 'how long the link confirming a new e-mail address stays valid, seconds',
  }),
  accountDeletionDays: setting({
    env: 'ACCOUNT_DELETION_DAYS',
    schema: wholeNumber(0, 365, 'days'),
    default: '14',
    doc: 'days between a person asking to delete their account and its erasure; a login in between cancels it; 0 erases at once',
  }),
  secondFactorKey: setting({
    env: 'SECOND_FACTOR_KEY',
    sensitive: true,
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: "key encrypting people's authenticator app secrets and keying the HMAC of their recovery codes; generated and kept in the database in development, required in production before anyone adds an authenticator app (secret)",
  }),
} as const;
