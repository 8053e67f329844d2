// Both password presets rule by rule: every failed rule is reported, each with a message in every language.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../provider/app/settings.ts';
import { catalogue, LOCALES, messageTexts } from '../../../provider/platform/web/i18n.ts';
import { createPasswordPolicy, type PasswordContext } from '../../../provider/domain/accounts/password-policy.ts';

const policy = (env: Record<string, string> = {}) => createPasswordPolicy(loadConfig({ NODE_ENV: 'test', ...env }));
const failed = (p: ReturnType<typeof policy>, password: string, context?: PasswordContext) => p.check(password, context).failures.map((f) => f.rule);

describe('composition preset (the customer portal rules)', () => {
  const composition = policy({ PASSWORD_POLICY: 'composition' });

  it.each([
    ['Passw0rd!', []],
    ['Tr0ub4dor&3', []],
    ['Kw8x mqpt', []], // a space is a special character
    ['Ébène!42x', []], // letters beyond ASCII count as upper and lower case
    ['Ab!890xy', []], // 8-9-0 does not wrap around
    ['Kw!8xy13579', []], // steps of two are no sequence
    ['Abc12345!', ['no_sequence']],
    ['Zyx!9753', ['no_sequence']], // descending letters
    ['Cba7!qwe', ['no_sequence']], // case-insensitive
    ['Kw!987xy', ['no_sequence']], // descending digits
    ['abcdefg1!', ['uppercase', 'no_sequence']],
    ['kw!8mqpt', ['uppercase']],
    ['KW!8MQPT', ['lowercase']],
    ['Kw!xmqpt', ['digit']],
    ['Kw8xmqpt', ['special']],
    ['Kw!8', ['min_length']],
    ['Xy9!aBc', ['min_length', 'no_sequence']],
    ['abc', ['min_length', 'uppercase', 'digit', 'special', 'no_sequence']],
  ])('%s fails %j', (password, rules) => {
    expect(failed(composition, password)).toEqual(rules);
    expect(composition.check(password).ok).toBe(rules.length === 0);
  });

  it('describes its rules, with their parameters, for the page shown before typing', () => {
    expect(composition.rules).toEqual([
      { rule: 'min_length', key: 'password.rule.min_length', params: { min: 8 } },
      { rule: 'max_length', key: 'password.rule.max_length', params: { max: 128 } },
      { rule: 'lowercase', key: 'password.rule.lowercase', params: {} },
      { rule: 'uppercase', key: 'password.rule.uppercase', params: {} },
      { rule: 'digit', key: 'password.rule.digit', params: {} },
      { rule: 'special', key: 'password.rule.special', params: {} },
      { rule: 'no_sequence', key: 'password.rule.no_sequence', params: { length: 3 } },
    ]);
  });

  it('checks the common-password list too when PASSWORD_BLOCKLIST=true', () => {
    expect(failed(composition, '!Qaz2wsx')).toEqual([]);
    expect(failed(policy({ PASSWORD_POLICY: 'composition', PASSWORD_BLOCKLIST: 'true' }), '!Qaz2wsx')).toEqual(['not_common']);
  });
});

describe('nist preset (the default)', () => {
  const nist = policy();
  const ann = { username: 'jan.peeters', email: 'An.DeWit@example.be' };

  it.each([
    ['correct horse battery staple', []],
    ['baaad weather today', []], // three in a row is fine
    ['jo likes long walks', []],
    ['short', ['min_length']],
    ['password1234', ['not_common']],
    ['QwertyUiop123', ['not_common']], // the list is matched case-insensitively
    ['I likeeee trains a lot', ['no_repeat']],
    ['aaaa', ['min_length', 'no_repeat']],
    ['Lorem ipsum dolor sit amet '.repeat(5), ['max_length']],
    ['🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒🍑', []], // 12 characters although 24 UTF-16 units
    ['🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒', ['min_length']],
  ])('%s fails %j', (password, rules) => {
    expect(failed(nist, password)).toEqual(rules);
  });

  it('refuses a password containing the username or the e-mail local part, in any case', () => {
    expect(failed(nist, 'my jan.peeters secret', ann)).toEqual(['not_username']);
    expect(failed(nist, 'JAN.PEETERS rocks in 2026', ann)).toEqual(['not_username']);
    expect(failed(nist, 'an.dewit is mijn naam', ann)).toEqual(['not_email']);
    expect(failed(nist, 'jo likes long walks', { username: 'jo', email: 'jo@example.be' })).toEqual([]); // under 3 characters
    expect(failed(nist, 'correct horse battery staple', ann)).toEqual([]);
  });

  it('lists every failed rule at once', () => {
    const result = nist.check('jan.peeters', ann);
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      { rule: 'min_length', key: 'password.error.min_length', params: { min: 12 } },
      { rule: 'not_username', key: 'password.error.not_username', params: {} },
    ]);
  });

  it('follows PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH and PASSWORD_BLOCKLIST', () => {
    const custom = policy({ PASSWORD_MIN_LENGTH: '16', PASSWORD_MAX_LENGTH: '64', PASSWORD_BLOCKLIST: 'false' });
    expect(custom.rules.map((r) => [r.rule, r.params])).toEqual([
      ['min_length', { min: 16 }],
      ['max_length', { max: 64 }],
      ['not_username', {}],
      ['not_email', {}],
      ['no_repeat', { count: 4 }],
    ]);
    expect(failed(custom, 'password1234')).toEqual(['min_length']);
    expect(failed(custom, 'x'.repeat(3) + 'y'.repeat(3) + 'z'.repeat(3) + 'w'.repeat(3) + 'v'.repeat(3) + 'u'.repeat(50))).toEqual(['max_length', 'no_repeat']);
    expect(() => policy({ PASSWORD_MIN_LENGTH: '200' })).toThrow(/PASSWORD_MIN_LENGTH=200 is above PASSWORD_MAX_LENGTH=128/);
    expect(() => policy({ PASSWORD_MAX_LENGTH: '32' })).toThrow(/PASSWORD_MAX_LENGTH/);
  });
});

describe('password messages', () => {
  const all = [policy(), policy({ PASSWORD_POLICY: 'composition', PASSWORD_BLOCKLIST: 'true' })];
  const descriptions = all.flatMap((p) => p.rules);
  // Inputs chosen so that together they break every rule of both presets.
  const context = { username: 'aaaa', email: 'an.dewit@example.be' };
  const failures = all.flatMap((p) => ['', 'aaaa'.repeat(40), 'password1234', 'abc', 'an.dewit'].flatMap((pw) => p.check(pw, context).failures));

  it('covers every rule with a failure message', () => {
    expect(new Set(failures.map((f) => f.rule))).toEqual(new Set(descriptions.map((d) => d.rule)));
  });

  it.each(LOCALES)('has every rule and failure key, with fillable placeholders, in %s', (locale) => {
    for (const { key, params } of [...descriptions, ...failures]) {
      const message = catalogue(locale)[key];
      expect({ key, known: message !== undefined }).toEqual({ key, known: true });
      // A placeholder without a value would reach the user as "{min}".
      const unfilled = messageTexts(message!)
        .flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))
        .filter((name) => !(name! in params));
      expect({ key, unfilled }).toEqual({ key, unfilled: [] });
    }
    expect(catalogue(locale)['password.rules.intro']).toBeTruthy();
  });
});
