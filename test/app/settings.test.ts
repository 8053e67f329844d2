// Settings are parsed once at start: a bad value stops the start naming the variable; production needs secrets.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig, settingsTable, settings } from '../../provider/app/settings.ts';
import { ConfigError } from '../../provider/platform/errors.ts';
import { runCli } from '../helpers/provider.ts';

describe('settings', () => {
  it('has defaults that work on a laptop', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      issuerUrl: 'http://localhost:3000',
      dataDir: './data',
      databaseUrl: undefined,
      production: false,
      loginIdentifier: 'username_or_email',
    });
    expect(c.eidCaIssuersHosts).toEqual(['certs.eid.belgium.be', 'crt.eidpki.belgium.be']);
    expect(loadConfig({ EID_CA_ISSUERS_HOSTS: 'none' }).eidCaIssuersHosts).toEqual([]);
    expect(loadConfig({ EID_CA_ISSUERS_HOSTS: ' Certs.EID.Belgium.be ,' }).eidCaIssuersHosts).toEqual(['certs.eid.belgium.be']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ISSUER: 'not a url' }, 'ISSUER'],
    [{ DATABASE_URL: 'localhost' }, 'DATABASE_URL'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ LOGIN_IDENTIFIER: 'phone' }, 'LOGIN_IDENTIFIER'],
    [{ COOKIE_KEYS: 'short' }, 'COOKIE_KEYS'],
    [{ IDP_INITIAL_ACCESS_TOKEN: 'abc' }, 'IDP_INITIAL_ACCESS_TOKEN'],
    [{ EID_CA_ISSUERS_HOSTS: 'http://certs.eid.belgium.be/' }, 'EID_CA_ISSUERS_HOSTS'],
  ])('refuses %o naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrowError(new RegExp(`  - ${name}[= ]`));
  });

  it.each([
    [{ WORKERS: '0' }, 'WORKERS="0": expected a whole number from 1 to 256'],
    [{ ARGON2_NICE: '-5' }, 'ARGON2_NICE="-5": expected a whole number from 0 to 19'],
    [{ ARGON2_NICE: 'low' }, 'ARGON2_NICE="low": expected a whole number from 0 to 19'],
    [{ ARGON2_MEMORY_KIB: '1024' }, 'ARGON2_MEMORY_KIB="1024": expected a whole number of KiB, at least 8192'],
    [{ ACCESS_TOKEN_TTL: '0' }, 'ACCESS_TOKEN_TTL="0": expected a whole number of seconds, at least 1'],
    [{ ACCOUNT_DELETION_DAYS: '400' }, 'ACCOUNT_DELETION_DAYS="400": expected a whole number of days from 0 to 365'],
  ])('says the range a number must be in: %o', (env, message) => {
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([message]);
    }
  });

  it('reads TIME_ZONE as an IANA name, Europe/Brussels by default, and refuses an unknown one', () => {
    expect(loadConfig({}).timeZone).toBe('Europe/Brussels');
    expect(loadConfig({ TIME_ZONE: 'UTC' }).timeZone).toBe('UTC');
    try {
      loadConfig({ TIME_ZONE: 'Europe/Brussel' });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems).toEqual(['TIME_ZONE="Europe/Brussel": expected an IANA time zone such as Europe/Brussels or UTC']);
    }
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'x', TRUST_PROXY: 'y' });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems).toHaveLength(2);
    }
  });

  it('reads SMS_COUNTRIES as two-letter codes or *, and refuses others', () => {
    expect(loadConfig({}).smsCountries).toEqual(['BE', 'NL', 'LU', 'FR', 'DE']);
    expect(loadConfig({ SMS_COUNTRIES: ' be, gb ,BE' }).smsCountries).toEqual(['BE', 'GB']);
    expect(loadConfig({ SMS_COUNTRIES: '*' }).smsCountries).toEqual(['*']);
    expect(() => loadConfig({ SMS_COUNTRIES: 'BE,XX' })).toThrow(/SMS_COUNTRIES.*expected two-letter country codes such as BE,NL, or \*/s);
  });

  it('requires every secret and an issuer in production', () => {
    const secrets = Object.values(settings)
      .filter((s) => 'secret' in s && s.secret)
      .map((s) => s.env);
    expect(secrets).toContain('COOKIE_KEYS');
    try {
      loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail.example.be' });
      expect.unreachable();
    } catch (e) {
      const problems = (e as ConfigError).problems.join('\n');
      for (const name of [...secrets, 'ISSUER']) expect(problems).toContain(`${name} is required when NODE_ENV=production`);
      expect(problems).toContain('TRUST_PROXY=true is required when NODE_ENV=production');
      expect(problems).toContain('HELPDESK_CONTACT is required when NODE_ENV=production');
    }
    const env = {
      ...Object.fromEntries(secrets.map((name) => [name, 's'.repeat(48)])),
      HELPDESK_CONTACT: '{"email":"help@example.be"}',
      TERMS_URL: 'https://example.be/terms',
      PRIVACY_URL: 'https://example.be/privacy',
    };
    expect(() =>
      loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.be', TRUST_PROXY: 'true', SMTP_URL: 'smtp://mail.example.be', ...env }),
    ).toThrowError(/ISSUER must be an https URL/);
    const ok = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.be', TRUST_PROXY: 'true', SMTP_URL: 'smtp://mail.example.be', ...env });
    expect(ok.production).toBe(true);
  });

  it('in production, asks for the terms and the privacy policy wherever sign-up asks people to accept them', () => {
    const secrets = Object.values(settings)
      .filter((s) => 'secret' in s && s.secret)
      .map((s) => [s.env, 's'.repeat(48)]);
    const production = {
      NODE_ENV: 'production',
      ISSUER: 'https://id.example.be',
      TRUST_PROXY: 'true',
      HELPDESK_CONTACT: '{"email":"help@example.be"}',
      ...Object.fromEntries(secrets),
    };
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(refused({ ...production, REGISTRATION_MODES: 'open,customer' })).toEqual([
      'TERMS_URL is required when NODE_ENV=production and REGISTRATION_MODES offers sign-up (open, customer): its pages ask people to accept the terms of use',
      'PRIVACY_URL is required when NODE_ENV=production and REGISTRATION_MODES offers sign-up (open, customer): its pages ask people to accept the privacy policy',
    ]);
    expect(refused({ ...production, REGISTRATION_MODES: 'customer', TERMS_URL: 'https://example.be/terms' })).toEqual([
      'PRIVACY_URL is required when NODE_ENV=production and REGISTRATION_MODES offers sign-up (customer): its pages ask people to accept the privacy policy',
    ]);
    expect(refused({ ...production, REGISTRATION_MODES: 'none' })).toEqual([]);
    expect(refused({ ...production, TERMS_URL: 'https://example.be/terms', PRIVACY_URL: 'https://example.be/privacy' })).toEqual([]);
    expect(refused({ REGISTRATION_MODES: 'open' })).toEqual([]);
    // Mistyped, the modes say what is wrong with them (it was a TypeError); a list of no mode is not read as none.
    expect(refused({ ...production, REGISTRATION_MODES: 'None' })).toEqual([
      'REGISTRATION_MODES="None": each mode is one of open, invitation, customer (or the single word none)',
    ]);
    expect(refused({ ...production, REGISTRATION_MODES: 'none,open' })).toHaveLength(1);
    for (const empty of [',', ' , '])
      expect(refused({ ...production, REGISTRATION_MODES: empty })).toEqual([
        `REGISTRATION_MODES=${JSON.stringify(empty)}: name a mode (open, invitation, customer), or write none for no sign-up`,
      ]);
    // Left empty, it is unset: the default's sign-up, which the message names.
    expect(refused({ ...production, REGISTRATION_MODES: '', PRIVACY_URL: 'https://example.be/privacy' })).toEqual([
      'TERMS_URL is required when NODE_ENV=production and REGISTRATION_MODES offers sign-up (open, its default): its pages ask people to accept the terms of use',
    ]);
  });

  it('stops `idp start` with a message naming the variable, and exits non-zero', async () => {
    const r = await runCli(['start'], { PORT: 'eighty' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PORT="eighty": expected a port number/);
  });

  it('never repeats the value of a secret or a credential in its message', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const token = 'short-token';
    expect(problems({ IDP_INITIAL_ACCESS_TOKEN: token })).toBe(
      'Invalid configuration:\n  - IDP_INITIAL_ACCESS_TOKEN (value not shown): must be at least 16 characters',
    );
    const message = problems({ COOKIE_KEYS: 'cookie-key-too-short', DATABASE_URL: 'postgres//user:pa55word@db', SMTP_URL: 'smtp//user:pa55word@mail' });
    for (const name of ['COOKIE_KEYS', 'DATABASE_URL', 'SMTP_URL']) expect(message).toContain(`  - ${name} (value not shown): `);
    expect(message).not.toMatch(/cookie-key-too-short|pa55word/);
  });

  it('documents every setting in README.md', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const line of settingsTable().split('\n')) expect(readme).toContain(line);
  });
});
