// `eid-bridge install-autostart` / `uninstall-autostart`: starts `eid-bridge serve` when the citizen logs in, so that
// no terminal has to stay open. Per system, the user-level mechanism that needs no administrator: a systemd user
// unit (Linux), a launchd agent (macOS), a value under HKCU\…\Run (Windows). What is written is computed here, apart
// from writing it, so that the macOS and Windows forms can be checked on any machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BridgeError } from './errors.ts';

export const UNIT_NAME = 'eid-bridge.service';
export const LAUNCHD_LABEL = 'be.belid.eid-bridge';
const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const RUN_VALUE = 'eID bridge';

export interface Autostart {
  /** The file written (none on Windows, where the registry holds the command). */
  file?: { path: string; content: string };
  /** Run after writing, to start now and at every login; a failure is reported, the file stays. */
  enable: string[][];
  /** Run before removing the file. */
  disable: string[][];
}

const quoteSystemd = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`);
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
  const serve = [...o.command, 'serve'];
  if (platform === 'linux') {
    return {
      file: { path: join(o.home, '.config', 'systemd', 'user', UNIT_NAME), content: systemdUserUnit(serve) },
      enable: [
        ['systemctl', '--user', 'daemon-reload'],
        ['systemctl', '--user', 'enable', '--now', UNIT_NAME],
      ],
      disable: [['systemctl', '--user', 'disable', '--now', UNIT_NAME]],
    };
  }
  if (platform === 'darwin') {
    const path = join(o.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    const domain = `gui/${o.uid ?? 501}`;
    return {
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
      enable: [['reg', 'add', RUN_KEY, '/v', RUN_VALUE, '/t', 'REG_SZ', '/d', serve.map(quoteWindows).join(' '), '/f']],
      disable: [['reg', 'delete', RUN_KEY, '/v', RUN_VALUE, '/f']],
    };
  }
  throw new BridgeError('bad_request', `Starting the bridge at login is not supported on ${platform}: start \`eid-bridge serve\` yourself`);
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

export function installAutostart(plan: Autostart): AutostartReport {
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
