// What a citizen installs, as `npm run build:bridge` writes it to dist/bridge/: the bridge's npm package, the single
// executable run on a machine without Node.js (an empty PATH, no NODE_* variables) against a SoftHSM card, and the
// Debian package's control data, files and systemd user unit. Building takes minutes (postject over the ~120 MB
// Node binary, xz over the package), hence one build for the whole file.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../helpers/components.ts';
import { randomNonce, removeVirtualCards, run, startServe, virtualCard, type VirtualCard, webEidSignatureValid } from '../card-bridge/helpers.ts';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const OUT = path.join(REPOSITORY, 'dist', 'bridge');
const BRIDGE = JSON.parse(readFileSync(path.join(REPOSITORY, 'card-bridge', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const sh = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

describe('the bridge artefacts in dist/bridge/', { timeout: 120_000 }, () => {
  let work: string;
  let artefacts: string[];
  const artefact = (pattern: RegExp) =>
    path.join(
      OUT,
      artefacts.find((f) => pattern.test(f))!,
    );

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'eid-bridge-artefacts-'));
    sh(process.execPath, [path.join(REPOSITORY, 'scripts', 'build-bridge.ts')], { cwd: REPOSITORY });
    artefacts = readdirSync(OUT).sort();
  }, 900_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    removeVirtualCards();
  });

  it('are the npm package, the single executable and the Debian package', () => {
    expect(artefacts).toEqual([`eid-bridge-${BRIDGE.version}.tgz`, 'eid-bridge-linux-x64', `eid-bridge_${BRIDGE.version}_amd64.deb`]);
  });

  describe('the npm package', () => {
    it('is small and holds the compiled bridge, its package.json and README, and nothing of the provider', () => {
      const tgz = artefact(/\.tgz$/);
      expect(statSync(tgz).size).toBeLessThan(300 * 1024);
      const files = sh('tar', ['tzf', tgz]).trim().split('\n').sort();
      expect(files).toContain('package/dist/cli.js');
      expect(files).toContain('package/dist/contract/reactivation.js');
      expect(files).toContain('package/dist/pkcs11/pinpad-worker.js');
      expect(files.filter((f) => !/^package\/dist\/[\w/-]+\.js$/.test(f))).toEqual(['package/README.md', 'package/package.json']);
      expect(files.filter((f) => /provider|views|migrations|test-cards|softhsm\//.test(f))).toEqual([]);
    });

    it("declares the eid-bridge command and only the bridge's own dependencies", () => {
      expect(BRIDGE.bin).toEqual({ 'eid-bridge': 'dist/cli.js' });
      expect(Object.keys(BRIDGE.dependencies).sort()).toEqual(['@peculiar/x509', 'pkcs11js', 'reflect-metadata', 'zod']);
    });

    it('installs in an empty folder and runs `eid-bridge`', () => {
      const app = path.join(work, 'app');
      mkdirSync(app);
      writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'a-citizen', private: true, allowScripts: { pkcs11js: true } }));
      sh('npm', ['install', artefact(/\.tgz$/), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });
      const bin = path.join(app, 'node_modules', '.bin', 'eid-bridge');
      expect(sh(bin, ['--version'])).toBe(`eid-bridge ${BRIDGE.version}\n`);
      expect(sh(bin, ['--help'])).toMatch(/^Usage: eid-bridge <command> \[options\]/);
    }, 600_000);
  });

  describe.skipIf(!has('softhsm'))('the single executable, on a machine without Node.js', () => {
    let card: VirtualCard;
    let env: NodeJS.ProcessEnv;
    let cache: string;
    const executable = () => artefact(/^eid-bridge-linux-x64$/);

    beforeAll(async () => {
      card = await virtualCard(['--pin', '2468']);
      const emptyPath = path.join(work, 'no-programs');
      mkdirSync(emptyPath, { recursive: true });
      cache = path.join(work, 'cache');
      // Nothing of this machine's Node.js: no node on the PATH, no NODE_* variable, a home of its own.
      env = { PATH: emptyPath, HOME: path.join(work, 'home'), XDG_CACHE_HOME: cache, SOFTHSM2_CONF: card.conf, EID_PKCS11_MODULE: card.env.EID_PKCS11_MODULE };
    });

    it('prints its version and help', async () => {
      expect(sh('/bin/sh', ['-c', 'command -v node || echo none'], { env })).toBe('none\n');
      expect((await run(executable(), ['--version'], env)).stdout).toBe(`eid-bridge ${BRIDGE.version}\n`);
      const help = await run(executable(), ['--help'], env);
      expect(help.stdout).toMatch(/^Usage: eid-bridge <command> \[options\]/);
      expect(help.stdout).not.toContain('provision-softhsm');
    });

    it('makes itself start at every login when opened without a command and without a terminal, as from a file manager', async () => {
      const unit = path.join(env.HOME!, '.config', 'systemd', 'user', 'eid-bridge.service');
      const kept = path.join(env.HOME!, '.local', 'bin', 'eid-bridge');
      // No systemctl on this PATH, as on a desktop without a systemd user session: the unit stays for a later login,
      // and the bridge serves from here at once. Before, it ended, unseen, and no bridge ran anywhere.
      const opened = await startServe(env, [], { executable: executable(), opened: true });
      try {
        expect(opened.output()).toContain(`Wrote ${unit}`);
        expect(opened.output()).not.toContain('Usage:');
        expect(opened.output()).toContain('Could not run: systemctl --user daemon-reload');
        // The unit starts a copy in ~/.local/bin, not the file opened in Downloads, which is moved or deleted there.
        expect(opened.output()).toContain(`Copied the bridge to ${kept}, where it starts from at every login: the file you opened may be moved or deleted.`);
        expect(readFileSync(unit, 'utf8')).toContain(`ExecStart=${kept} serve`);
        expect(readFileSync(kept).equals(readFileSync(executable()))).toBe(true);
        expect(statSync(kept).mode & 0o777).toBe(0o755);
        const status = await fetch(new URL('/status', opened.url), { headers: { origin: 'https://idp.example.be' } });
        expect(await status.json()).toMatchObject({ eidPresent: true });
      } finally {
        await opened.stop();
        rmSync(unit);
        rmSync(kept, { force: true });
      }
    });

    it('starts nothing at login when the folder its copy would go to is one every user may write to, and leaves no copy', async () => {
      // The file opened may sit anywhere (Downloads): what runs at login is the copy, so its folder is what must be safe.
      const home = path.join(work, 'home-shared');
      const bin = path.join(home, '.local', 'bin');
      mkdirSync(bin, { recursive: true });
      chmodSync(bin, 0o777);
      const opened = await run(executable(), [], { ...env, HOME: home });
      expect(opened.code).toBe(1);
      expect(opened.stderr).toContain(`Not starting the bridge at login: every user of this computer may write to its folder ${bin}`);
      expect(existsSync(path.join(home, '.config', 'systemd', 'user', 'eid-bridge.service'))).toBe(false);
      expect(readdirSync(bin)).toEqual([]);
    });

    it('reads the card, with the pkcs11js addon written to a private cache folder', async () => {
      const status = await run(executable(), ['status', '--json'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ eidPresent: true, module: { description: expect.stringContaining('SoftHSM') } });
      const read = await run(executable(), ['read'], env);
      expect(JSON.parse(read.stdout)).toMatchObject({ nationalNumber: '85073100328', givenNames: 'Jan Karel', surname: 'Specimen' });
      const [folder] = readdirSync(path.join(cache, 'eid-bridge'));
      expect(folder).toMatch(/^[0-9a-f]{16}$/);
      expect(statSync(path.join(cache, 'eid-bridge', folder!)).mode & 0o777).toBe(0o700);
      expect(readdirSync(path.join(cache, 'eid-bridge', folder!))).toEqual(['pkcs11.node']);
    });

    it('serves a page: the PIN on its own page, a token signed for the asking origin', async () => {
      const origin = 'https://idp.example.be';
      const daemon = await startServe(env, [], { executable: executable() });
      try {
        const nonce = randomNonce();
        const started = await fetch(new URL('/authenticate', daemon.url), {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ nonce }),
        });
        const op = (await started.json()) as { operationId: string; pinUrl: string };
        const form = await (await fetch(op.pinUrl)).text();
        const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
        const answer = await fetch(op.pinUrl, {
          method: 'POST',
          headers: { origin: daemon.url, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, pin: '2468' }),
        });
        expect(answer.status).toBe(200);
        const done = await (await fetch(new URL(`/operations/${op.operationId}`, daemon.url), { headers: { origin } })).json();
        expect(done).toMatchObject({ state: 'done', identity: { nationalNumber: '85073100328' } });
        expect(webEidSignatureValid(done.authToken, origin, nonce)).toBe(true);
      } finally {
        await daemon.stop();
      }
    });
  });

  describe('the Debian package', () => {
    const deb = () => artefact(/\.deb$/);

    it('has a control file that names what it needs and recommends the official middleware', () => {
      const info = sh('dpkg-deb', ['--info', deb()]);
      expect(info).toContain(' Package: eid-bridge\n');
      expect(info).toContain(` Version: ${BRIDGE.version}\n`);
      expect(info).toContain(' Architecture: amd64\n');
      expect(info).toMatch(/ Depends: pcscd(,|\n)/);
      expect(info).toContain(' Recommends: eid-mw\n');
      expect(info).toMatch(/ Installed-Size: \d{5,}\n/);
      expect(info).toMatch(/ Description: .+\n( .+\n)+/);
      // Built without EID_BRIDGE_DEB_MAINTAINER: the placeholder, which an operator replaces.
      expect(info).toContain(' Maintainer: belid maintainers <eid-bridge@belid.invalid>\n');
    });

    it('installs the executable and a systemd user unit, owned by root', () => {
      const contents = sh('dpkg-deb', ['--contents', deb()])
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/));
      const entry = (file: string) => contents.find((fields) => fields.at(-1) === file);
      expect(entry('./usr/bin/eid-bridge')?.slice(0, 2)).toEqual(['-rwxr-xr-x', 'root/root']);
      expect(entry('./usr/lib/systemd/user/eid-bridge.service')?.slice(0, 2)).toEqual(['-rw-r--r--', 'root/root']);
      expect(contents.every((fields) => fields[1] === 'root/root')).toBe(true);
    });

    it('starts `eid-bridge serve` at every login, and starts nothing as root when installed', () => {
      const root = path.join(work, 'deb');
      sh('dpkg-deb', ['-x', deb(), root]);
      sh('dpkg-deb', ['-e', deb(), path.join(root, 'DEBIAN')]);
      const unit = readFileSync(path.join(root, 'usr/lib/systemd/user/eid-bridge.service'), 'utf8');
      expect(unit).toContain('\nExecStart=/usr/bin/eid-bridge serve\n');
      expect(unit).toContain('\n[Install]\nWantedBy=default.target\n');
      // Without EID_BRIDGE_DEB_DOCUMENTATION, the bridge's README the package installs.
      expect(unit).toContain('\nDocumentation=file:/usr/share/doc/eid-bridge/README.md\n');
      expect(readFileSync(path.join(root, 'usr/share/doc/eid-bridge/README.md'), 'utf8')).toMatch(/^# /);
      const postinst = readFileSync(path.join(root, 'DEBIAN/postinst'), 'utf8');
      expect(postinst).toContain('systemctl --global enable eid-bridge.service');
      const commands = postinst.split('\n').filter((line) => !line.startsWith('#'));
      expect(commands.join('\n')).not.toMatch(/\b(start|restart|--now)\b/);
      expect(statSync(path.join(root, 'DEBIAN/postinst')).mode & 0o777).toBe(0o755);
      // The executable the package installs runs from where it was extracted, without Node.js.
      expect(sh(path.join(root, 'usr/bin/eid-bridge'), ['--version'], { env: { PATH: '/nonexistent' } })).toBe(`eid-bridge ${BRIDGE.version}\n`);
    });

    it.skipIf(!has('systemd'))('has a unit that systemd-analyze verifies', () => {
      const root = path.join(work, 'deb');
      // A user manager needs a login session, which a test machine lacks; the system manager's check of the same
      // unit reads every directive and that the command exists, here the extracted executable.
      const copy = path.join(work, 'unit', 'eid-bridge.service');
      mkdirSync(path.dirname(copy));
      writeFileSync(
        copy,
        readFileSync(path.join(root, 'usr/lib/systemd/user/eid-bridge.service'), 'utf8').replace('/usr/bin/eid-bridge', path.join(root, 'usr/bin/eid-bridge')),
      );
      const report = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect({ status: report.status, output: report.stdout + report.stderr }).toEqual({ status: 0, output: '' });
    });
  });
});
