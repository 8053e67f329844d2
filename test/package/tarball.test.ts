// The package as someone else installs it: `npm pack` (which builds dist/ through `prepare`), then `npm install` of
// the tarball in an empty folder, outside this repository. Node does not strip types under node_modules, so this
// is the only way to know that `idp` and `belid/eid` work for them. The card bridge is a package of its own
// (bridge-artefacts.test.ts): this one ships no copy of it. Dependencies come from the npm
// cache this machine already has (--prefer-offline); see the README for the time it takes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { WEB_EID_FIXTURES } from '../helpers/web-eid-fixtures.ts';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const run = (command: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });

describe('the tarball installed in an empty folder', { timeout: 120_000 }, () => {
  let work: string;
  let app: string;
  let bin: (name: string) => string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'belid-pack-'));
    app = path.join(work, 'app');
    run('npm', ['pack', '--silent', '--pack-destination', work], REPOSITORY);
    const tarball = readdirSync(work).find((f) => /^belid-.*\.tgz$/.test(f));
    execFileSync('mkdir', [app]);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module', allowScripts: { argon2: true } }));
    run('npm', ['install', path.join(work, tarball!), '--prefer-offline', '--no-audit', '--no-fund'], app);
    bin = (name) => path.join(app, 'node_modules', '.bin', name);
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds compiled JavaScript only, no TypeScript source', () => {
    const files = run('find', ['node_modules/belid', '-name', '*.ts', '-not', '-name', '*.d.ts'], app);
    expect(files).toBe('');
  });

  it('runs `idp`: a provider that serves its pages, and a command that goes through it', async () => {
    const port = await freePort();
    const env = {
      DATA_DIR: path.join(work, 'data'),
      NODE_ENV: 'test',
      PORT: String(port),
      ISSUER: `http://127.0.0.1:${port}`,
      // Another provider on this machine (a developer's) may hold the default metrics port.
      METRICS_PORT: '0',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
    };
    const provider = spawn(bin('idp'), ['start'], { cwd: app, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: 'ignore' });
    try {
      let home: Response | undefined;
      for (const deadline = Date.now() + 60_000; !home && Date.now() < deadline;) {
        home = await fetch(`${env.ISSUER}/`).catch(() => new Promise<undefined>((r) => setTimeout(r, 300)));
      }
      expect(home?.status).toBe(200);
      expect(await home!.text()).toContain('<html lang="en">');
      const created = run(bin('idp'), ['users', 'create', '--username', 'alice', '--password', 'correct horse battery staple'], app, env);
      expect(created).toMatch(/^Created user alice \(sub \S+\)$/m);
    } finally {
      provider.kill('SIGTERM');
    }
  });

  it('ships no card bridge: no `eid-bridge` command, only the contract files the provider imports (reactivation API, card number)', () => {
    expect(readdirSync(path.join(app, 'node_modules', '.bin'))).not.toContain('eid-bridge');
    expect(run('find', ['node_modules/belid/dist/card-bridge', '-type', 'f'], app).trim().split('\n').sort()).toEqual([
      'node_modules/belid/dist/card-bridge/contract/card-number.d.ts',
      'node_modules/belid/dist/card-bridge/contract/card-number.js',
      'node_modules/belid/dist/card-bridge/contract/reactivation.d.ts',
      'node_modules/belid/dist/card-bridge/contract/reactivation.js',
    ]);
    expect(run('find', ['node_modules/belid', '-name', 'README.md', '-path', '*card-bridge*'], app)).toBe('');
    expect(readdirSync(path.join(app, 'node_modules'))).not.toContain('pkcs11js');
  });

  it("validates a real Belgian test-card token through `import { validateEidAuthToken } from 'belid/eid'`", () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { validateEidAuthToken, isEidError } from 'belid/eid';
      const dir = ${JSON.stringify(WEB_EID_FIXTURES)};
      const data = JSON.parse(readFileSync(dir + 'belgian-test-card-tokens.json', 'utf8'));
      const [{ token, nonce }] = data.tokens;
      const options = { origin: data.origin, trustAnchors: readFileSync(dir + 'eID-TEST-EC-Citizen-CA.pem', 'utf8'), now: new Date(data.validAt), revocation: false };
      const identity = await validateEidAuthToken(token, { ...options, nonce });
      const refused = await validateEidAuthToken(token, { ...options, nonce: nonce + 'x' }).catch((e) => isEidError(e) && e.code);
      console.log(JSON.stringify({ nationalNumber: identity.nationalNumber, refused }));
    `;
    const result = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], app)) as { nationalNumber: string; refused: string };
    expect(result).toEqual({ nationalNumber: '01050399864', refused: 'signature_invalid' });
  });
});

// dist/ exists: `npm ci` builds it through `prepare`.
// `npx` resolves the bin through npm, which takes seconds alone and tens of seconds on a busy machine.
describe('the repository after `npx idp`', { timeout: 120_000 }, () => {
  it('has its bin sources executable in git, so that npm has nothing to change', () => {
    const modes = run('git', ['ls-files', '-s', 'provider/app/cli.ts', 'card-bridge/cli.ts', 'tools/test-cards/cli.ts'], REPOSITORY);
    expect(
      modes
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['100755', '100755', '100755']);
    const before = run('git', ['status', '--porcelain'], REPOSITORY);
    expect(run('npx', ['idp', '--help'], REPOSITORY)).toMatch(/^usage: idp </);
    expect(run('git', ['status', '--porcelain'], REPOSITORY)).toBe(before);
  });
});
