// The rules a new password must meet, as configured: `nist` (SP 800-63B: long, not a common password, not the
// username, no composition rules) or `composition` (the classic "digit, special, upper and lower case, no ABC or
// 123" of many customer portals). Every rule is checked and every failure reported, so the user fixes all at once.
// Each rule has a catalogue key for the page that explains the rules (password.rule.*) and one for its failure
// (password.error.*), both in views/locales/<locale>/password.json.
import { createRequire } from 'node:module';
import type { Config } from '../../app/settings.ts';
import { ConfigError } from '../../platform/errors.ts';

export type PasswordPolicyConfig = Pick<Config, 'passwordPolicy' | 'passwordMinLength' | 'passwordMaxLength' | 'passwordBlocklist'>;

export interface RuleDescription {
  rule: string;
  key: string;
  params: Record<string, number>;
}

export type RuleFailure = RuleDescription;

export interface PasswordContext {
  username?: string | null;
  email?: string | null;
}

export interface PasswordCheck {
  ok: boolean;
  failures: RuleFailure[];
}

/** What an account has of the context: a rule about its username is no rule for an account without one. */
export interface AccountHas {
  username: boolean;
  email?: boolean;
}

export interface PasswordPolicy {
  rules: RuleDescription[];
  /** The rules that concern an account with (or without) a username or an address: the ones a page lists. */
  rulesFor(has: AccountHas): RuleDescription[];
  check(password: string, context?: PasswordContext): PasswordCheck;
}

interface Rule {
  rule: string;
  params: Record<string, number>;
  /** The part of the context the rule is about; without it, the rule always passes. */
  about?: keyof AccountHas;
  passes(password: string, context: PasswordContext): boolean;
}

const PRESET_DEFAULTS = {
  nist: { minLength: 12, blocklist: true },
  composition: { minLength: 8, blocklist: false },
} as const;

// Shorter names and local parts would forbid far too many harmless passwords ("an", "jo").
const MIN_CONTAINED_LENGTH = 3;
const MAX_REPEAT = 3;
const SEQUENCE_LENGTH = 3;
const REPEAT = new RegExp(`(.)\\1{${MAX_REPEAT}}`, 'su');

// Code points, not UTF-16 units: "é" or an emoji counts as one character, as the user sees it.
const length = (s: string) => [...s].length;

let commonPasswords: Set<string> | undefined;
/** The ~40,000 most common passwords of 8+ characters (zxcvbn's lists via the popular-passwords package, MIT), lower case. */
function loadCommonPasswords(): Set<string> {
  commonPasswords ??= new Set(createRequire(import.meta.url)('popular-passwords') as string[]);
  return commonPasswords;
}

/** Three letters or three digits in a row going up or down by one, case-insensitive: abc, CBA, 123, 987. */
function hasSequence(password: string): boolean {
  const chars = [...password.toLowerCase()];
  return chars.some((_, i) => {
    const run = chars.slice(i, i + SEQUENCE_LENGTH);
    if (run.length < SEQUENCE_LENGTH || !(run.every((c) => /[a-z]/.test(c)) || run.every((c) => /[0-9]/.test(c)))) return false;
    const steps = run.slice(1).map((c, j) => c.charCodeAt(0) - (run[j] as string).charCodeAt(0));
    return steps.every((d) => d === 1) || steps.every((d) => d === -1);
  });
}

function contains(password: string, part: string | null | undefined): boolean {
  return !!part && length(part) >= MIN_CONTAINED_LENGTH && password.toLowerCase().includes(part.toLowerCase());
}

const rule = (name: string, passes: Rule['passes'], params: Record<string, number> = {}, about?: keyof AccountHas): Rule => ({
  rule: name,
  params,
  passes,
  about,
});

const rules = {
  minLength: (min: number) => rule('min_length', (p) => length(p) >= min, { min }),
  maxLength: (max: number) => rule('max_length', (p) => length(p) <= max, { max }),
  lowercase: rule('lowercase', (p) => /\p{Ll}/u.test(p)),
  uppercase: rule('uppercase', (p) => /\p{Lu}/u.test(p)),
  digit: rule('digit', (p) => /\p{Nd}/u.test(p)),
  special: rule('special', (p) => /[^\p{L}\p{N}]/u.test(p)),
  noSequence: rule('no_sequence', (p) => !hasSequence(p), { length: SEQUENCE_LENGTH }),
  notCommon: (common: Set<string>) => rule('not_common', (p) => !common.has(p.toLowerCase())),
  notUsername: rule('not_username', (p, c) => !contains(p, c.username), {}, 'username'),
  notEmail: rule('not_email', (p, c) => !contains(p, c.email?.split('@')[0]), {}, 'email'),
  noRepeat: rule('no_repeat', (p) => !REPEAT.test(p), { count: MAX_REPEAT + 1 }),
};

export function createPasswordPolicy(config: PasswordPolicyConfig): PasswordPolicy {
  const preset = PRESET_DEFAULTS[config.passwordPolicy];
  const min = config.passwordMinLength ?? preset.minLength;
  const max = config.passwordMaxLength;
  if (min > max) throw new ConfigError([`PASSWORD_MIN_LENGTH=${min} is above PASSWORD_MAX_LENGTH=${max}`]);
  const blocklist = config.passwordBlocklist ?? preset.blocklist;

  const active: Rule[] =
    config.passwordPolicy === 'composition'
      ? [rules.minLength(min), rules.maxLength(max), rules.lowercase, rules.uppercase, rules.digit, rules.special, rules.noSequence]
      : [rules.minLength(min), rules.maxLength(max), rules.notUsername, rules.notEmail, rules.noRepeat];
  if (blocklist) active.splice(2, 0, rules.notCommon(loadCommonPasswords()));

  const describe = (r: Rule): RuleDescription => ({ rule: r.rule, key: `password.rule.${r.rule}`, params: r.params });
  return {
    rules: active.map(describe),
    rulesFor: (has) => active.filter((r) => !r.about || has[r.about] !== false).map(describe),
    check(password, context = {}) {
      const failures = active.filter((r) => !r.passes(password, context)).map((r) => ({ rule: r.rule, key: `password.error.${r.rule}`, params: r.params }));
      return { ok: failures.length === 0, failures };
    },
  };
}
