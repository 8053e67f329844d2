// `idp upstreams`: staff add, list and remove upstream providers. The client secret is read from the terminal when
// not given, stored encrypted, and never printed back; the logo is kept as a data: URI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/provider.ts';
import { createDb } from '../../../provider/platform/db/knex.ts';

const SECRET = 'bank-client-secret-from-the-terminal';

// Every command is a process that opens the embedded database: slow on a loaded 2-core machine.
describe('idp upstreams', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'idp-upstreams-'));
    env = { DATA_DIR: path.join(dataDir, 'db'), NODE_ENV: 'test', ISSUER: 'https://id.example.be' };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('adds an upstream with its secret from the terminal, lists it without the secret, and removes it', async () => {
    const logo = path.join(dataDir, 'bank.svg');
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>');
    const add = await runCli(
      [
        'upstreams',
        'add',
        '--slug',
        'bank',
        '--name',
        'My Bank',
        '--issuer',
        'https://login.bank.example',
        '--client-id',
        'belid',
        '--scope',
        'openid profile',
        '--subject-claim',
        'national_number',
        '--use',
        'login,reactivation',
        '--logo',
        logo,
        '--acr-from-upstream',
        '--trust-national-number',
      ],
      env,
      `${SECRET}\n`,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added upstream bank (My Bank) at https://login.bank.example, subject national_number, for login, reactivation');
    expect(add.stdout).toContain('Register this redirect URI at the upstream: https://id.example.be/upstream/callback');

    const bad = await runCli(
      [
        'upstreams',
        'add',
        '--slug',
        'Bad Slug',
        '--name',
        'X',
        '--issuer',
        'http://login.bank.example',
        '--client-id',
        'c',
        '--client-secret',
        's',
        '--use',
        'everything',
      ],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/slug: a slug is[\s\S]*issuer: the issuer must use https[\s\S]*uses/);

    const list = await runCli(['upstreams', 'list'], env);
    expect(list.stdout).toBe(
      'bank\tMy Bank\thttps://login.bank.example\tclient belid\tsubject national_number\tuses login,reactivation\tacr from upstream\ttrusted for the national number\n',
    );
    for (const out of [add, list]) expect(out.stdout + out.stderr).not.toContain(SECRET);

    // Stored encrypted; the logo as a data: URI.
    const db = createDb({ dataDir: env.DATA_DIR! });
    const row = await db('upstream_providers').where({ slug: 'bank' }).first();
    await db.destroy();
    expect(row.client_secret).toMatch(/^v1\./);
    expect(row.client_secret).not.toContain(SECRET);
    expect(row.logo_url).toMatch(/^data:image\/svg\+xml;base64,/);

    const removed = await runCli(['upstreams', 'remove', 'bank'], env);
    expect(removed.stdout).toContain('Removed bank');
    const again = await runCli(['upstreams', 'remove', 'bank'], env);
    expect([again.code, again.stderr]).toEqual([1, 'No upstream "bank"\n']);
  });
});
