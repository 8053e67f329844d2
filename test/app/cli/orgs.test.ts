// `idp orgs`: staff put users into organisations and decide whether an organisation sends notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/provider.ts';
import { freshPostgresUrl } from '../../helpers/db.ts';
import { has } from '../../helpers/components.ts';

// Each command is a process opening the database; PostgreSQL opens much faster than the embedded one.
describe('idp orgs', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'idp-orgs-'));
    env = {
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      ...(has('postgres') ? { DATABASE_URL: await freshPostgresUrl() } : {}),
    };
    expect((await runCli(['users', 'create', '--username', 'lena', '--password', 'eleven chars'], env)).code).toBe(0);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates organisations, adds members, switches notifications, and says what is wrong', async () => {
    expect((await runCli(['orgs', 'create', 'Crisis cell', '--no-notify'], env)).stdout).toBe('Created organisation Crisis cell (does not notify)\n');
    expect((await runCli(['orgs', 'add-member', 'crisis cell', 'LENA'], env)).stdout).toBe('lena added to Crisis cell\n');
    const nobody = await runCli(['orgs', 'add-member', 'Crisis cell', 'nobody'], env);
    expect([nobody.code, nobody.stderr]).toEqual([2, 'No user with username "nobody"\n']);
    expect((await runCli(['orgs', 'set-notify', 'Crisis cell', 'on'], env)).stdout).toBe('Crisis cell notifies from now on\n');
    expect((await runCli(['orgs', 'list'], env)).stdout).toBe('Crisis cell\t1 member(s)\tnotifies\n');
    expect((await runCli(['orgs', 'set-reviewers', 'Crisis cell', 'on'], env)).stdout).toBe(
      'Crisis cell: its members are told of requests waiting for review\n',
    );
    expect((await runCli(['orgs', 'set-reviewers', 'Crisis cell', 'maybe'], env)).code).toBe(2);
  });

  // A tab and a line break forged a line of `idp orgs list`; a right-to-left override turns what follows around.
  it.each([
    ['a tab and a line break', 'Fake\t9 member(s)\tnotifies\nCrisis'],
    ['a right-to-left override', 'Cell \u202Eylno'],
    ['nothing that shows', '\u200B\u200B'],
  ])('refuses a name with %s, and lists nothing of it', async (_, name) => {
    const refused = await runCli(['orgs', 'create', name], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('an organisation name is one line of 2 to 200 visible characters');
    expect((await runCli(['orgs', 'list'], env)).stdout).toBe('Crisis cell\t1 member(s)\tnotifies\n');
  });
});
