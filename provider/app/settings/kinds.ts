// The kinds of value a setting takes, each parsed from its environment variable with the message a person can act on.
import { isIP } from 'node:net';
import { z } from 'zod';

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const port = z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535);
/** A whole number in a range, whose one message names the range: zod would answer -1 with "expected a whole number". */
export const wholeNumber = (min: number, max?: number, unit?: string) =>
  z.coerce
    .number({ message: `expected a whole number${unit ? ` of ${unit}` : ''}${max === undefined ? `, at least ${min}` : ` from ${min} to ${max}`}` })
    .int()
    .min(min)
    .max(max ?? Number.MAX_SAFE_INTEGER);
export const seconds = wholeNumber(1, undefined, 'seconds');
export const positiveInt = wholeNumber(1);
export const url = z.url({ message: 'expected a URL such as http://localhost:3000' });
export const secretList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')).min(1, 'expected at least one key'));

export const urlList = z
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

export const hostList = z
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

/** A host name, an IP address, or a network in CIDR notation (10.20.0.0/16, fd00::/8). */
const isHostOrNetwork = (entry: string) => {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (prefix === undefined) return family !== 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(address);
  const bits = Number(prefix);
  return rest.length === 0 && family !== 0 && /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
};

export const hostOrNetworkList = z
  .string()
  .transform((s) => [
    ...new Set(
      s
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  ])
  .pipe(
    z.array(
      z.string().refine(isHostOrNetwork, 'each entry must be a host name such as app.intranet.example, an IP address, or a network such as 10.20.0.0/16'),
    ),
  );

// OAuth 2.1 and RFC 9700 steer away from implicit and hybrid flows: code is the default, the others are opt-in.
export const RESPONSE_TYPES = ['code', 'id_token', 'code id_token', 'none'] as const;
export const responseTypes = z
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

export const idList = z.string().transform((s) => [
  ...new Set(
    s
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean),
  ),
]);

export const REGISTRATION_MODES = ['open', 'invitation', 'customer'] as const;
export const registrationModes = z
  .string()
  .transform((s, ctx) => {
    if (s.trim() === 'none') return [];
    const modes = [
      ...new Set(
        s
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
      ),
    ];
    // Commas or spaces alone are no decision to turn sign-up off: that is written none.
    if (!modes.length) ctx.addIssue({ code: 'custom', message: `name a mode (${REGISTRATION_MODES.join(', ')}), or write none for no sign-up` });
    return modes;
  })
  .pipe(z.array(z.enum(REGISTRATION_MODES, { message: `each mode is one of ${REGISTRATION_MODES.join(', ')} (or the single word none)` })));

export interface Setting<T extends z.ZodType> {
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

export function setting<T extends z.ZodType>(s: Setting<T>): Setting<T> {
  return s;
}
