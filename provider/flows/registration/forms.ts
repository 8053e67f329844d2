// The sign-up forms' inputs, one zod schema each, and their errors as catalogue keys next to each field.
import { z } from 'zod';
import type { PasswordPolicy } from '../../domain/accounts/password-policy.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
import { fieldProblem, maxLengths, oneLine, parseForm } from '../../platform/web/form.ts';
import { emailAddress as email } from '../../platform/web/email-address.ts';

const text = (max: number) => oneLine(max).min(1);
const accepted = z.literal('yes');

/** A person's names as sign-up asks them, each filled in; the profile page holds a name the account has to them. */
export const personNames = { given_name: text(100), family_name: text(100) };

/**
 * The names form of the profile and of the staff's person page for an account with `names`: a name it has cannot be
 * emptied (sign-up's rules); one it never had (a customer named by its company, an account made by staff, by the
 * command line or from a card without given names) may stay empty.
 */
export const namesInputOf = (names: { given_name: string | null; family_name: string | null }) =>
  z.object({
    given_name: names.given_name ? personNames.given_name : oneLine(100),
    family_name: names.family_name ? personNames.family_name : oneLine(100),
  });

export const schemas = {
  open: z.object({
    email,
    ...personNames,
    password: z.string().min(1).max(1024),
    accept_terms: accepted,
    accept_privacy: accepted,
  }),
  customer: z.object({
    name: text(200),
    customer_number: text(40),
    email,
    password: z.string().min(1).max(1024),
    accept_terms: accepted,
    accept_privacy: accepted,
  }),
  invitationLogin: z.object({
    username: text(64),
    initial_password: text(64),
  }),
  invitationDetails: z.object({
    ...personNames,
    email,
    password: z.string().min(1).max(1024),
    accept_terms: accepted,
    accept_privacy: accepted,
  }),
  eid: z.object({
    email,
    password: z.string().min(1).max(1024),
    accept_terms: accepted,
    accept_privacy: accepted,
  }),
  resend: z.object({ identifier: text(320) }),
  activate: z.object({ token: z.string().min(1).max(200), password: z.string().min(1).max(1024) }),
};

/** The sign-up inputs' maxlength: a field has one limit in every form it is in. */
export const fieldLimits = maxLengths(...Object.values(schemas));

/** The form's values to show again: everything typed except passwords. */
export function echo(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => typeof v === 'string' && !/password|_csrf/.test(k)) as [string, string][]);
}

export type Checked<T> = { ok: true; data: T } | { ok: false; errors: FormErrors };

/**
 * Validates `raw` with `schema` and, when it has a password, the password policy (every failed rule listed).
 * Each field gets the catalogue key registration.error.<field>, unless it was filled with too much or with characters
 * it cannot hold. A field holding a NUL is refused at that field (parseForm), so the forms read `raw` with bodyFields
 * rather than body(), which would refuse the whole form.
 */
export function check<T extends z.ZodType>(
  schema: T,
  raw: Record<string, unknown>,
  policy?: PasswordPolicy,
  context: (data: Record<string, unknown>) => { username?: string | null; email?: string | null } = () => ({}),
): Checked<z.output<T>> {
  const parsed = parseForm(schema, raw);
  const errors: FormErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'form');
      errors[field] ??= [fieldProblem(issue) ?? { key: `registration.error.${field}` }];
    }
  }
  if (policy && typeof raw.password === 'string' && raw.password && !errors.password) {
    const { failures } = policy.check(raw.password, context(raw));
    if (failures.length) errors.password = failures.map((f) => ({ key: f.key, params: f.params }));
  }
  return Object.keys(errors).length || !parsed.success ? { ok: false, errors } : { ok: true, data: parsed.data };
}
