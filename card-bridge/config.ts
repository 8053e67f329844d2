// Every setting of the card bridge, declared once: environment variable, type, default and a doc line.
// Command-line flags override the environment by being parsed through the same schemas (see cli.ts), and
// `eid-bridge --help` prints this table, so the documentation cannot drift from the code.
import { z } from 'zod';
import { BridgeError } from './errors.ts';

const isLoopback = (hostname: string) => hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';

/** A web origin (scheme://host[:port]); a trailing slash is tolerated because people paste URLs. */
export const originSchema = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin such as https://idp.example.be` });
    return z.NEVER;
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin: scheme, host and port only` });
    return z.NEVER;
  }
  return url.origin;
});

const originList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(z.array(originSchema).min(1, 'expected at least one origin'));

/** The provider must be reached over https, except on this machine (development and tests). */
export const providerUrlSchema = z.url({ message: 'expected a URL such as https://idp.example.be' }).refine((v) => {
  const url = new URL(v);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
}, 'the provider must use https (http only for localhost)');

interface Setting<T extends z.ZodType> {
  env: string;
  schema: T;
  default?: string;
  doc: string;
}

const setting = <T extends z.ZodType>(s: Setting<T>): Setting<T> => s;

export const settings = {
  port: setting({
    env: 'EID_BRIDGE_PORT',
    schema: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535),
    default: '24127',
    doc: 'TCP port of `serve` on 127.0.0.1 (0 picks a free port)',
  }),
  allowedOrigins: setting({
    env: 'EID_BRIDGE_ALLOWED_ORIGINS',
    schema: originList.optional(),
    doc: 'comma-separated origins that alone may use `serve` (managed desktops); absent: any https page, and http pages on localhost',
  }),
  module: setting({
    env: 'EID_PKCS11_MODULE',
    schema: z.string().min(1).optional(),
    doc: 'PKCS#11 module path; absent: beid, OpenSC, SoftHSM2 are tried in that order',
  }),
  provider: setting({ env: 'EID_BRIDGE_PROVIDER', schema: providerUrlSchema.optional(), doc: 'identity provider URL for `activate`' }),
  operationTimeout: setting({
    env: 'EID_BRIDGE_OPERATION_TIMEOUT',
    schema: z.coerce.number({ message: 'expected seconds' }).int().positive(),
    default: '120',
    doc: 'seconds an authentication may wait for the PIN before it fails with `timeout`',
  }),
} as const;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

/** Parses every setting; throws `config_invalid` naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const value = (s: Setting<z.ZodType>) => (env[s.env] === '' ? undefined : env[s.env]) ?? s.default;
  const entries = Object.entries(settings) as [keyof Settings, Setting<z.ZodType>][];
  const parsed = z
    .object(Object.fromEntries(entries.map(([key, s]) => [key, s.schema])))
    .safeParse(Object.fromEntries(entries.map(([key, s]) => [key, value(s)])));
  if (parsed.success) return parsed.data as Config;
  const problems = parsed.error.issues.map((i) => {
    const s = settings[i.path[0] as keyof Settings];
    return `${s.env}=${JSON.stringify(env[s.env] ?? '')}: ${i.message}`;
  });
  throw new BridgeError('config_invalid', `Invalid settings:\n  ${problems.join('\n  ')}`);
}

export function settingsHelp(): string {
  return Object.values(settings)
    .map((s) => `  ${s.env.padEnd(30)} ${s.doc}${s.default === undefined ? '' : ` (default ${s.default})`}`)
    .join('\n');
}
