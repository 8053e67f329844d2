// The `idp` command: users, clients (with their validation), restart persistence on the embedded database,
// and dynamic client registration with the initial access token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, spawnProvider } from '../../helpers/provider.ts';
import { startSmtpSink } from '../../helpers/smtp-sink.ts';

// Every command is a process that opens the embedded database: slow on a loaded 2-core machine.
describe('idp CLI on the embedded database', { timeout: 240_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'idp-cli-'));
    env = { DATA_DIR: dataDir, NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates users, refusing bad input and duplicates without changing anything', async () => {
    const ok = await runCli(['users', 'create', '--username', 'an.janssens', '--email', 'an@example.be', '--password', 'correct horse battery'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Created user an.janssens \(sub \S+\)/);
    // The first command on a folder without a database says that it makes one, which a provider on PostgreSQL (a
    // second shell without its DATABASE_URL) would never see; the next ones find it.
    expect(ok.stderr).toContain(`there was no database in ${dataDir}, and no provider serving it: this command makes a new embedded one there`);
    expect(ok.stderr).toContain('give this command the same DATABASE_URL as the provider');
    const dup = await runCli(['users', 'create', '--username', 'AN.JANSSENS', '--password', 'correct horse battery'], env);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already exists/);
    expect(dup.stderr).not.toContain('there was no database');
    const bad = await runCli(['users', 'create', '--username', 'x y', '--email', 'nope', '--password', 'short'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/username[\s\S]*email: expected an e-mail address[\s\S]*password: The password is too short: use at least 12 characters/);
    // PASSWORD_POLICY as on every page that sets a password: composition asks for each kind of character.
    const composition = await runCli(['users', 'create', '--username', 'piet', '--password', 'alllowercase'], { ...env, PASSWORD_POLICY: 'composition' });
    expect(composition.code).toBe(2);
    expect(composition.stderr).toMatch(/password: Add at least one capital letter\.\n {2}- password: Add at least one digit\./);
    const common = await runCli(['users', 'create', '--username', 'piet', '--password', 'password1234'], env);
    expect(common.stderr).toMatch(/password: This password is one of the most commonly used/);
    // Standard input empty and not a terminal, as with </dev/null: no password, which is not a short one.
    const none = await runCli(['users', 'create', '--username', 'eve', '--email', 'e@example.org'], env);
    expect([none.code, none.stderr.trim()]).toEqual([
      2,
      'No password was given: type it when asked, or send it on standard input (one line), or give it with --password. Nothing was changed.',
    ]);
    expect((await runCli(['users', 'show', 'eve'], env)).stderr).toMatch(/No user with username or e-mail address "eve"/);
    const unknown = await runCli(['users', 'create', '--nickname', 'x'], env);
    expect(unknown.stderr).toMatch(/Unknown option '--nickname'/);
  });

  it('creates confidential and public clients and validates redirect URIs', async () => {
    const conf = await runCli(['clients', 'create', '--name', 'Portal', '--redirect-uri', 'https://portal.example.be/cb'], env);
    expect(conf.stdout).toMatch(/client_id: \S+\nclient_secret: \S{43}/);
    const pub = await runCli(['clients', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example.be/cb', '--public'], env);
    expect(pub.stdout).toMatch(/public client: no secret, PKCE required/);
    const bad = await runCli(['clients', 'create', '--name', 'X', '--redirect-uri', 'not a url'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--redirect-uri #1: Invalid URL/);
  });

  it('keeps keys and generated secrets across restarts', async () => {
    const first = await spawnProvider(env);
    const kids1 = await (await fetch(`${first.url}/jwks`)).json();
    await first.stop();
    const second = await spawnProvider(env);
    const kids2 = await (await fetch(`${second.url}/jwks`)).json();
    await second.stop();
    expect(kids2).toEqual(kids1);
  });

  it('registers clients dynamically only with the initial access token', async () => {
    const p = await spawnProvider({ ...env, IDP_INITIAL_ACCESS_TOKEN: 'registration-token-0123456789' });
    try {
      const metadata = { redirect_uris: ['https://app.example.be/cb'], client_name: 'Registered app' };
      const refused = await fetch(`${p.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
      expect(refused.status).toBe(401);
      const wrong = await fetch(`${p.url}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-0123456789' },
        body: JSON.stringify(metadata),
      });
      expect(wrong.status).toBe(401);
      const res = await fetch(`${p.url}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer registration-token-0123456789' },
        body: JSON.stringify(metadata),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { client_id: string; client_secret: string; client_name: string };
      expect(body.client_name).toBe('Registered app');
      const token = await fetch(`${p.url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${body.client_id}:${body.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      // The registered client exists (authenticates) even though it may not use this grant.
      expect(((await token.json()) as { error?: string }).error).not.toBe('invalid_client');
      // What only staff may give: first-party status (no consent page) and an API scope.
      for (const extra of [{ first_party: true }, { scope: 'openid notifications:send', grant_types: ['authorization_code', 'client_credentials'] }]) {
        const grab = await fetch(`${p.url}/reg`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer registration-token-0123456789' },
          body: JSON.stringify({ ...metadata, ...extra }),
        });
        expect([grab.status, ((await grab.json()) as { error: string }).error]).toEqual([400, 'invalid_client_metadata']);
      }
    } finally {
      await p.stop();
    }
    const without = await spawnProvider(env);
    try {
      expect((await fetch(`${without.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    } finally {
      await without.stop();
    }
  });

  it('sends a test mail through the configured SMTP server, in the chosen language', async () => {
    const sink = await startSmtpSink();
    try {
      const r = await runCli(['mail', 'test', '--to', 'ops@example.be', '--locale', 'nl'], { ...env, SMTP_URL: sink.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Sent to ops@example.be via smtp/);
      const mail = await sink.waitFor((m) => m.to.includes('ops@example.be'));
      expect(mail.subject).toBe('Testbericht');
      await sink.down();
      const down = await runCli(['mail', 'test', '--to', 'ops@example.be'], { ...env, SMTP_URL: sink.url });
      expect(down.code).toBe(1);
      expect(down.stdout).toMatch(/Not sent: /);
    } finally {
      await sink.stop();
    }
  });
});
