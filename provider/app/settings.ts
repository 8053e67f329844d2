// Every setting of the provider, declared once: environment variable, type, default and a doc line.
// `loadConfig` parses them all at start; a bad value stops the start with a message naming the variable.
// `settingsTable()` renders the README's table from the same declarations, so the two cannot drift.
import { z } from 'zod';
import { ConfigError } from '../platform/errors.ts';
import type { Setting } from './settings/kinds.ts';
import { serverSettings } from './settings/server.ts';
import { messagingSettings } from './settings/messaging.ts';
import { accountSettings } from './settings/accounts.ts';
import { eidSettings } from './settings/eid.ts';
import { passkeySettings } from './settings/passkeys.ts';

/** In the order of the README's table. */
export const settings = { ...serverSettings, ...messagingSettings, ...accountSettings, ...eidSettings, ...passkeySettings } as const;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> } & {
  /** Resolved issuer (ISSUER or http://localhost:PORT), without trailing slash. */
  issuerUrl: string;
  production: boolean;
};

export type RegistrationMode = Config['registrationModes'][number];

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
    // A blocked account with no eID card linked, or a person whose address is gone, can only be helped by people:
    // the pages say so and name the helpdesk, and without one they would end there.
    if (!out.helpdeskContact) problems.push('HELPDESK_CONTACT is required when NODE_ENV=production (the pages send people who cannot help themselves to it)');
    // Every sign-up page (and a first login through a bank) asks people to accept these: they must be able to read
    // them first, and a service that collects personal data owes them its privacy notice when it does (GDPR art. 13).
    // Modes that did not parse are a problem of their own, above. Left empty, the variable is unset: the message
    // names the default's modes, which an operator who emptied it may not expect.
    const modes = out.registrationModes as string[] | undefined;
    if (modes?.length) {
      const offered = `${modes.join(', ')}${env.REGISTRATION_MODES ? '' : ', its default'}`;
      for (const [key, name, what] of [
        ['termsUrl', 'TERMS_URL', 'the terms of use'],
        ['privacyUrl', 'PRIVACY_URL', 'the privacy policy'],
      ] as const) {
        if (!out[key])
          problems.push(
            `${name} is required when NODE_ENV=production and REGISTRATION_MODES offers sign-up (${offered}): its pages ask people to accept ${what}`,
          );
      }
    }
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
