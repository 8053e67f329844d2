// `eid-bridge install-autostart` / `uninstall-autostart`. On Linux for real: the systemd user unit written into a
// temporary HOME, checked by `systemd-analyze verify`, enabled when a user session exists and reported otherwise.
// The macOS launchd agent and the Windows Run entry are compared with golden files.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { autostartFor, othersCanChange } from '../../card-bridge/autostart.ts';
import { runCli } from './helpers.ts';

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
const CLI = fileURLToPath(new URL('../../card-bridge/cli.ts', import.meta.url));

const succeeds = (program: string, args: string[]) => {
  try {
    execFileSync(program, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const userSession = succeeds('systemctl', ['--user', 'show-environment']);

describe.skipIf(process.platform !== 'linux')('autostart on Linux: a systemd user unit', () => {
  const home = mkdtempSync(join(tmpdir(), 'eid-bridge-home-'));
  const unit = join(home, '.config', 'systemd', 'user', 'eid-bridge.service');
  const env = { ...process.env, HOME: home };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('writes a unit that starts `eid-bridge serve`, valid for systemd-analyze, and enables it when it can', async () => {
    const result = await runCli(['install-autostart'], env);
    expect(result.stdout).toContain(`Wrote ${unit}`);
    expect(readFileSync(unit, 'utf8')).toBe(golden('eid-bridge.service').replace('{command}', `${process.execPath} ${CLI}`));
    if (succeeds('systemd-analyze', ['--version'])) {
      expect(execFileSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', stdio: 'pipe' })).toBe('');
    }
    if (userSession) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('The eID bridge now starts when you log in.');
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'Could not run: systemctl --user daemon-reload; systemctl --user restart eid-bridge.service. Run it in your desktop session',
      );
    }
  });

  it('removes it again', async () => {
    const result = await runCli(['uninstall-autostart'], env);
    expect(result.stdout).toContain(`Removed ${unit}`);
    expect(existsSync(unit)).toBe(false);
  });

  it('refuses to start at login a bridge other users could change, says why and where to put it, and installs nothing', async () => {
    // The bridge as opened from a folder of its own: a copy of its script, finding the repository's node_modules.
    const shared = mkdtempSync(join(tmpdir(), 'eid-bridge-opened-'));
    const folder = join(shared, 'card-bridge');
    cpSync(fileURLToPath(new URL('../../card-bridge', import.meta.url)), folder, { recursive: true });
    symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(shared, 'node_modules'));
    const script = join(folder, 'cli.ts');
    const install = () => runCli(['install-autostart'], env, '', undefined, script);
    const advice =
      'so someone else could change what would run each time you log in. Move the bridge into a folder of your own that only you can write to (for example ~/.local/bin, or ~/Applications on a Mac), and open it from there. [autostart_unsafe]';
    const uid = process.getuid!();
    try {
      chmodSync(folder, 0o777);
      const everyone = await install();
      expect([everyone.code, everyone.stderr.trim()]).toEqual([
        1,
        `eid-bridge: Not starting the bridge at login: every user of this computer may write to its folder ${folder}, ${advice}`,
      ]);
      expect(existsSync(unit)).toBe(false);

      // Another user's group, or another user's file (a root-owned one is safe): only root can give them away.
      if (uid === 0) {
        chmodSync(folder, 0o775);
        chownSync(folder, uid, 4343);
        expect((await install()).stderr).toContain(`other users in its group may write to its folder ${folder}, `);
        chmodSync(folder, 0o755);
        chownSync(script, 4242, 4242);
        expect((await install()).stderr).toContain(`the file ${script} belongs to another user, `);
        chownSync(script, uid, 0);
      }
      chmodSync(folder, 0o755);
      expect(existsSync(unit)).toBe(false);

      // Only its owner may change it: installed, naming it.
      const own = await install();
      expect(own.stdout).toContain(`Wrote ${unit}`);
      expect(readFileSync(unit, 'utf8')).toContain(`ExecStart=${process.execPath} ${script} serve`);
    } finally {
      rmSync(shared, { recursive: true, force: true });
      rmSync(unit, { force: true });
    }
  });

  it("counts a group-writable file as safe in its owner's private group (umask 002), not in a shared one", () => {
    const folder = mkdtempSync(join(tmpdir(), 'eid-bridge-group-'));
    mkdirSync(join(folder, 'bin'), { mode: 0o775 });
    chmodSync(join(folder, 'bin'), 0o775);
    const uid = process.getuid!();
    try {
      expect(othersCanChange(join(folder, 'bin'), { uid, ownGroup: () => true })).toBeUndefined();
      expect(othersCanChange(join(folder, 'bin'), { uid, ownGroup: () => false })).toBe(
        `other users in its group may write to the file ${join(folder, 'bin')}`,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses a bridge in a folder of its own under one that other users may write to, or reached through a link into one', () => {
    // Renaming a folder takes only the right to write to the one holding it: another user could put a folder of theirs,
    // with their program, in the place of `mine`. A link leads to where the file really is, which is what runs.
    const root = mkdtempSync(join(tmpdir(), 'eid-bridge-above-'));
    const me = { uid: process.getuid!(), ownGroup: () => false };
    const shared = join(root, 'shared');
    const mine = join(shared, 'mine');
    const other = join(root, 'other');
    const home = join(root, 'home');
    try {
      for (const [folder, mode] of [
        [shared, 0o777],
        [mine, 0o755],
        [other, 0o777],
        [home, 0o755],
      ] as const) {
        mkdirSync(folder, { recursive: true });
        chmodSync(folder, mode);
      }
      for (const file of [join(mine, 'bridge'), join(other, 'bridge')]) cpSync(CLI, file);
      symlinkSync(join(other, 'bridge'), join(home, 'bridge'));
      expect(othersCanChange(join(mine, 'bridge'), me)).toBe(`every user of this computer may write to the folder ${shared} above it`);
      expect(othersCanChange(join(home, 'bridge'), me)).toBe(`every user of this computer may write to its folder ${other}`);
      // A sticky folder (as /tmp) lets no one else rename what this user owns in it.
      chmodSync(shared, 0o1777);
      expect(othersCanChange(join(mine, 'bridge'), me)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('prints its usage, and installs nothing, when the npm package runs without a command and without a terminal', async () => {
    // Only the single executable installs itself so (test/package/bridge-artefacts.test.ts): a script or a CI step
    // running the command without one must not leave a service behind.
    const result = await runCli([], env);
    expect(result.stdout).toContain('Usage:');
    expect(existsSync(unit)).toBe(false);
  });
});

describe('autostart on the other systems (golden files)', () => {
  it('macOS: a launchd agent in ~/Library/LaunchAgents, loaded into the GUI session', () => {
    const plan = autostartFor('darwin', { home: '/opt/jan', command: ['/Applications/eID bridge.app/Contents/MacOS/eid-bridge'], uid: 502 });
    expect(plan.file).toEqual({ path: '/opt/jan/Library/LaunchAgents/be.belid.eid-bridge.plist', content: golden('be.belid.eid-bridge.plist') });
    expect(plan.enable).toEqual([['launchctl', 'bootstrap', 'gui/502', '/opt/jan/Library/LaunchAgents/be.belid.eid-bridge.plist']]);
    expect(plan.disable).toEqual([['launchctl', 'bootout', 'gui/502/be.belid.eid-bridge']]);
  });

  it('Windows: a value under HKCU\\…\\Run, quoting a path with spaces', () => {
    const plan = autostartFor('win32', { home: 'C:\\Users\\jan', command: ['C:\\Program Files\\eID bridge\\eid-bridge.exe'] });
    expect(plan.file).toBeUndefined();
    expect({ enable: plan.enable, disable: plan.disable }).toEqual(JSON.parse(golden('windows-run.json')));
  });

  // The attack pass: systemd expands %h and $HOME in ExecStart, and a line break in the path wrote a line of its own.
  it('writes a path with % and $ as itself in the unit, and refuses one with a line break', () => {
    const unit = autostartFor('linux', { home: '/opt/jan', command: ['/opt/jan/100% mine/$HOME/eid-bridge'] }).file!.content;
    expect(unit).toContain('ExecStart="/opt/jan/100%% mine/$$HOME/eid-bridge" serve\n');
    expect(() => autostartFor('linux', { home: '/opt/jan', command: ['/opt/jan/dl/a\nExecStartPre=/bin/sh -c id'] })).toThrow(
      expect.objectContaining({ code: 'autostart_unsafe', message: expect.stringContaining('holds a control character') }),
    );
  });

  it('says plainly where it cannot', () => {
    expect(() => autostartFor('freebsd', { home: '/opt/jan', command: ['eid-bridge'] })).toThrow(
      expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('start `eid-bridge serve` yourself') }),
    );
  });
});
