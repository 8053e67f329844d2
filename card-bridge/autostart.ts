// `eid-bridge install-autostart` / `uninstall-autostart`: starts `eid-bridge serve` when the citizen logs in, so that
// no terminal has to stay open. Per system, the user-level mechanism that needs no administrator: a systemd user
// unit (Linux), a launchd agent (macOS), a value under HKCU\…\Run (Windows). What is written is computed here, apart
// from writing it, so that the macOS and Windows forms can be checked on any machine.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BridgeError } from './errors.ts';

export const UNIT_NAME = 'eid-bridge.service';
export const LAUNCHD_LABEL = 'be.belid.eid-bridge';
const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const RUN_VALUE = 'eID bridge';

export interface Autostart {
  /** The files it runs at every login: the executable (or node and the script). */
  runs: string[];
  /** The file written (none on Windows, where the registry holds the command). */
  file?: { path: string; content: string };
  /** Run after writing, to start now and at every login; a failure is reported, the file stays. */
  enable: string[][];
  /** Run before removing the file. */
  disable: string[][];
}

// systemd expands `%` specifiers and `$` variables in ExecStart, quoted or not: each is written doubled to stay itself.
const quoteSystemd = (arg: string) => {
  const literal = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[\w@+=:,./-]+$/.test(literal) ? literal : `"${literal.replace(/(["\\])/g, '\\$1')}"`;
};
const escapeXml = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
const quoteWindows = (arg: string) => (/^[^\s"]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '\\"')}"`);

/**
 * The systemd user unit running `serve`: written for one user here, installed for all by the Debian package, whose
 * builder names its documentation (scripts/bridge-deb-fields.ts). eid.belgium.be documents the middleware, not this.
 */
export const systemdUserUnit = (serve: string[], documentation?: string): string => `[Unit]
Description=eID bridge: lets web pages you visit use your Belgian eID card (127.0.0.1 only)
${documentation ? `Documentation=${documentation}\n` : ''}
[Service]
ExecStart=${serve.map(quoteSystemd).join(' ')}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
`;

/** `command`: the bridge's own command line without `serve` (the executable, or node and the script). */
export function autostartFor(platform: NodeJS.Platform, o: { home: string; command: string[]; uid?: number }): Autostart {
  // A line break in a path would start another line of the unit or the agent's file, with whatever follows it.
  const odd = o.command.find((arg) => /\p{Cc}/u.test(arg));
  if (odd !== undefined)
    throw new BridgeError(
      'autostart_unsafe',
      `Not starting the bridge at login: its path ${JSON.stringify(odd)} holds a control character. Rename the folder or file.`,
    );
  const serve = [...o.command, 'serve'];
  const runs = o.command;
  if (platform === 'linux') {
    return {
      runs,
      file: { path: join(o.home, '.config', 'systemd', 'user', UNIT_NAME), content: systemdUserUnit(serve) },
      // restart, not enable --now: a bridge already serving (an earlier version, before a newer one was opened) would
      // go on running until the next login.
      enable: [
        ['systemctl', '--user', 'daemon-reload'],
        ['systemctl', '--user', 'enable', UNIT_NAME],
        ['systemctl', '--user', 'restart', UNIT_NAME],
      ],
      disable: [['systemctl', '--user', 'disable', '--now', UNIT_NAME]],
    };
  }
  if (platform === 'darwin') {
    const path = join(o.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    const domain = `gui/${o.uid ?? 501}`;
    return {
      runs,
      file: {
        path,
        content: `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${serve.map((a) => `    <string>${escapeXml(a)}</string>`).join('\n')}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
</dict>
</plist>
`,
      },
      enable: [['launchctl', 'bootstrap', domain, path]],
      disable: [['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`]],
    };
  }
  if (platform === 'win32') {
    return {
      runs,
      enable: [['reg', 'add', RUN_KEY, '/v', RUN_VALUE, '/t', 'REG_SZ', '/d', serve.map(quoteWindows).join(' '), '/f']],
      disable: [['reg', 'delete', RUN_KEY, '/v', RUN_VALUE, '/f']],
    };
  }
  throw new BridgeError('bad_request', `Starting the bridge at login is not supported on ${platform}: start \`eid-bridge serve\` yourself`);
}

/**
 * Where the single executable starts from at each login on Linux: a copy in ~/.local/bin (the XDG folder for a
 * person's own programs), not the file the person opened, which sits in Downloads and is moved or deleted there
 * unseen, and with it the bridge. The copy is of /proc/self/exe, the program running now, so that a file swapped at
 * the opened path since it was started is not what gets kept; it replaces an earlier copy in one rename (a running
 * bridge keeps its own). One among the system's programs (the Debian package's /usr/bin/eid-bridge) stays where it
 * is: its package manager keeps it up to date there.
 */
export function keptExecutable(running: string, home: string): { path: string; copied: boolean } {
  const kept = join(home, '.local', 'bin', 'eid-bridge');
  const real = realpathSync(running);
  if (/^\/(usr|opt)\//.test(real) || (existsSync(kept) && realpathSync(kept) === real)) return { path: running, copied: false };
  mkdirSync(dirname(kept), { recursive: true, mode: 0o755 });
  const partial = `${kept}.${process.pid}.partial`;
  copyFileSync('/proc/self/exe', partial);
  chmodSync(partial, 0o755);
  renameSync(partial, kept);
  return { path: kept, copied: true };
}

export interface AutostartReport {
  file?: string;
  /** Commands that failed (e.g. no systemd user session): what the person can run later. */
  failed: string[];
}

function run(commands: string[][]): string[] {
  const failed: string[] = [];
  for (const [program, ...args] of commands) {
    try {
      execFileSync(program!, args, { stdio: 'pipe' });
    } catch {
      failed.push([program, ...args].join(' '));
    }
  }
  return failed;
}

/** Who installs the autostart: their uid, and whether a group is theirs alone. */
export interface Installer {
  uid: number;
  ownGroup(gid: number): boolean;
}

/**
 * A user private group (Debian's and Fedora's default, with umask 002: files are group-writable there): the group
 * of `uid`'s name with no other member, listed or primary. A group these files do not know counts as shared.
 */
function privateGroupOf(uid: number) {
  const table = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.split(':'));
  return (gid: number): boolean => {
    try {
      const users = table('/etc/passwd');
      const me = users.find((u) => Number(u[2]) === uid)?.[0];
      const group = table('/etc/group').find((g) => Number(g[2]) === gid);
      if (!me || !group) return false;
      const members = [...(group[3] ?? '').split(',').filter(Boolean), ...users.filter((u) => Number(u[3]) === gid).map((u) => u[0])];
      return group[0] === me && members.every((m) => m === me);
    } catch {
      return false;
    }
  };
}

const thisUser = (): Installer => ({ uid: process.getuid!(), ownGroup: privateGroupOf(process.getuid!()) });

/** Why another user could write to `path` (stat'ed through links), or nothing. */
function writableByOthers(what: string, path: string, me: Installer): string | undefined {
  const s = statSync(path);
  if (s.uid !== me.uid && s.uid !== 0) return `${what} ${path} belongs to another user`;
  if (s.mode & 0o002) return `every user of this computer may write to ${what} ${path}`;
  if (s.mode & 0o020 && !me.ownGroup(s.gid)) return `other users in its group may write to ${what} ${path}`;
  return undefined;
}

/**
 * Why another user could change what `file` runs (writing the file, or replacing it in its folder, or replacing a
 * folder above it: renaming a folder takes only the right to write to the one holding it), or nothing: the autostart
 * would then run their program at every login of this one. The path is checked as given and as its links resolve
 * (a link, or a linked folder on the way, leads elsewhere), each up to /. A sticky folder (/tmp) lets nobody else
 * rename what this user or root owns in it. Root's files are safe; Windows has no such bits.
 */
export function othersCanChange(file: string, me: Installer): string | undefined {
  for (const path of new Set([file, realpathSync(file)])) {
    const own = writableByOthers('the file', path, me) ?? writableByOthers('its folder', dirname(path), me);
    if (own) return own;
    for (let child = dirname(path), folder = dirname(child); folder !== child; child = folder, folder = dirname(folder)) {
      const kept = statSync(folder).mode & 0o1000 && [me.uid, 0].includes(lstatSync(child).uid);
      const reason = kept ? undefined : writableByOthers('the folder', folder, me);
      if (reason) return `${reason} above it`;
    }
  }
  return undefined;
}

/** Installs nothing when another user could change what would run: they would run it as this one, at each login. */
export function installAutostart(plan: Autostart, me: Installer | undefined = process.platform === 'win32' ? undefined : thisUser()): AutostartReport {
  const reason = me && plan.runs.map((file) => othersCanChange(file, me)).find(Boolean);
  if (reason)
    throw new BridgeError(
      'autostart_unsafe',
      `Not starting the bridge at login: ${reason}, so someone else could change what would run each time you log in. Move the bridge into a folder of your own that only you can write to (for example ~/.local/bin, or ~/Applications on a Mac), and open it from there.`,
    );
  if (plan.file) {
    mkdirSync(dirname(plan.file.path), { recursive: true });
    writeFileSync(plan.file.path, plan.file.content);
  }
  return { ...(plan.file ? { file: plan.file.path } : {}), failed: run(plan.enable) };
}

export function uninstallAutostart(plan: Autostart): AutostartReport {
  const failed = run(plan.disable);
  if (plan.file) rmSync(plan.file.path, { force: true });
  return { ...(plan.file ? { file: plan.file.path } : {}), failed };
}
