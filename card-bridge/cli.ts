#!/usr/bin/env node
// The `eid-bridge` command: argument parsing and output only; the work is in the modules it calls.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, settingsHelp, type Config } from './config.ts';
import { BridgeError } from './errors.ts';
import { closeModule, openModule, type Pkcs11Module } from './pkcs11/module.ts';
import { toBridgeError } from './pkcs11/errors.ts';
import { findEid } from './pkcs11/slots.ts';
import { useProjectSoftHsmConf } from './pkcs11/softhsm-conf.ts';
import { status, type Status } from './status.ts';
import { BRIDGE_VERSION } from './version.ts';

// Each command imports what only it needs when it runs: a citizen's `status` should not wait for X.509
// or daemon code to load.

const USAGE = `Usage: eid-bridge <command> [options]

Commands:
  status [--json]                 the PKCS#11 module, the readers, whether a Belgian eID is present
  read                            the card holder's data, as JSON
  serve [--port N] [--pin-from-terminal]
                                  the daemon on 127.0.0.1 for the provider's pages
  activate --provider URL --mobile NUMBER [--card SLOT]
                                  reactivate your account from this terminal: prints the 6-character activation code;
                                  with several cards inserted it asks which (--card names it without asking)
  install-autostart               start \`serve\` whenever you log in (systemd user unit, launchd agent, or
                                  the Windows Run key of your account); uninstall-autostart undoes it.
                                  The single executable opened without a command and without a terminal
                                  (from a file manager) does this

Options for every command: --module PATH (the PKCS#11 module), --help
--version prints the bridge's version.

The PIN is asked in the terminal without echo; when standard input is not a terminal, it is read as one line
from it (scripts and tests).

Settings (environment):
${settingsHelp()}
`;

const COMMON = { module: { type: 'string' }, help: { type: 'boolean' } } as const;

const COMMANDS = {
  status: { ...COMMON, json: { type: 'boolean' } },
  read: COMMON,
  serve: { ...COMMON, port: { type: 'string' }, 'pin-from-terminal': { type: 'boolean' } },
  activate: { ...COMMON, provider: { type: 'string' }, mobile: { type: 'string' }, card: { type: 'string' } },
  'install-autostart': COMMON,
  'uninstall-autostart': COMMON,
} as const;

type Command = keyof typeof COMMANDS;

type Flags = Record<string, string | boolean | undefined>;

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const text = (flags: Flags, name: string) => (typeof flags[name] === 'string' ? flags[name] : undefined);

function withModule<T>(config: Config, fn: (module: Pkcs11Module) => T): T {
  const module = openModule(config.module);
  try {
    return fn(module);
  } finally {
    closeModule(module);
  }
}

function printStatus(s: Status): void {
  out(`PKCS#11 module: ${s.module.path} (${s.module.description})`);
  for (const r of s.readers) {
    const card = !r.cardPresent ? 'no card' : r.eid ? `Belgian eID (${r.tokenLabel})` : `other card (${r.tokenLabel || 'no label'})`;
    out(`  slot ${r.slot}: ${r.reader}: ${card}; PIN pad: ${r.pinPad ? 'yes' : 'no'}`);
  }
  out(s.eidPresent ? `Belgian eID present; PIN pad: ${s.pinPad ? 'yes' : 'no'}` : `No Belgian eID: ${s.problem?.message}`);
}

async function serve(config: Config, pinFromTerminal: boolean): Promise<void> {
  // A PIN piped in would be a PIN stored somewhere, read by whoever can read that file or script.
  if (pinFromTerminal && !process.stdin.isTTY)
    throw new BridgeError('bad_request', '--pin-from-terminal needs a terminal: standard input is not one (a PIN must not come from a file or a pipe)');
  const [{ startDaemon }, { createPinPrompt }] = await Promise.all([import('./daemon/server.ts'), import('./pin-prompt.ts')]);
  const module = openModule(config.module);
  const terminal = pinFromTerminal ? createPinPrompt() : undefined;
  const daemon = await startDaemon({
    port: config.port,
    allowedOrigins: config.allowedOrigins,
    operationTimeoutSeconds: config.operationTimeout,
    module,
    terminal,
    log: (line) => say(`[eid-bridge] ${line}`),
  });
  out(`eid-bridge listening on ${daemon.url} for ${config.allowedOrigins?.join(', ') ?? 'any https page'} (module ${module.path})`);
  const stop = async () => {
    await daemon.close();
    terminal?.close();
    closeModule(module);
    process.exit(0);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

/** Whether the bridge now starts at login and, installed, runs already (the service manager started it). */
async function autostart(install: boolean): Promise<boolean> {
  const [{ autostartFor, installAutostart, keptExecutable, uninstallAutostart }, { isSea }, { homedir }, { rmSync }] = await Promise.all([
    import('./autostart.ts'),
    import('node:sea'),
    import('node:os'),
    import('node:fs'),
  ]);
  // A single executable starts itself (on Linux, its copy in ~/.local/bin); otherwise Node starts this script.
  const kept = install && isSea() && process.platform === 'linux' ? keptExecutable(process.execPath, homedir()) : undefined;
  const command = isSea() ? [kept?.path ?? process.execPath] : [process.execPath, fileURLToPath(import.meta.url)];
  const plan = autostartFor(process.platform, { home: homedir(), command, uid: process.getuid?.() });
  let report;
  try {
    report = install ? installAutostart(plan) : uninstallAutostart(plan);
  } catch (e) {
    if (kept?.copied) rmSync(kept.path, { force: true });
    throw e;
  }
  if (kept?.copied) out(`Copied the bridge to ${kept.path}, where it starts from at every login: the file you opened may be moved or deleted.`);
  if (report.file) out(`${install ? 'Wrote' : 'Removed'} ${report.file}`);
  if (report.failed.length) {
    say(
      `Could not run: ${report.failed.join('; ')}. ${install ? 'Run it in your desktop session, or log out and in after enabling it' : 'The bridge may still run until you log out'}.`,
    );
    return false;
  }
  out(install ? 'The eID bridge now starts when you log in.' : 'The eID bridge no longer starts when you log in.');
  return true;
}

async function main(argv: string[]): Promise<void> {
  let [command, ...args] = argv;
  // The single executable opened from a file manager, as the eID page tells citizens: nobody reads the usage there,
  // and what they came for is a bridge that runs, now and at every login. Only that one: a script, a CI step or the
  // npm package run without a command and without a terminal get the usage, as before.
  if (!command && !process.stdin.isTTY && !process.stdout.isTTY && (await import('node:sea')).isSea()) {
    if (await autostart(true)) return;
    // No service manager took it (no systemd user session): it serves from here until the person logs out, rather
    // than end unseen with a bridge that runs nowhere; the unit written starts it at a later login where there is one.
    [command, ...args] = ['serve'];
  }
  if (!command || command === '--help' || command === 'help') return out(USAGE);
  if (command === '--version') return out(`eid-bridge ${BRIDGE_VERSION}`);
  if (!(command in COMMANDS)) {
    say(`eid-bridge: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const values = parseArgs({ args, options: COMMANDS[command as Command], strict: true, allowPositionals: false }).values as Flags;
  if (values.help) return out(USAGE);
  useProjectSoftHsmConf();
  // Flags go through the settings' own schemas, so a bad --port is refused like a bad EID_BRIDGE_PORT.
  const config = loadConfig({
    ...process.env,
    EID_PKCS11_MODULE: text(values, 'module') ?? process.env.EID_PKCS11_MODULE,
    EID_BRIDGE_PORT: text(values, 'port') ?? process.env.EID_BRIDGE_PORT,
    EID_BRIDGE_PROVIDER: text(values, 'provider') ?? process.env.EID_BRIDGE_PROVIDER,
  });
  switch (command as Command) {
    case 'status': {
      const s = withModule(config, status);
      if (values.json) out(JSON.stringify(s, null, 2));
      else printStatus(s);
      if (!s.eidPresent) process.exitCode = 1;
      return;
    }
    case 'read': {
      const { readCard } = await import('./card.ts');
      return out(
        JSON.stringify(
          withModule(config, (m) => {
            const slot = findEid(m.api);
            return { module: m.path, reader: slot.reader, ...readCard(m.api, slot.handle) };
          }),
          null,
          2,
        ),
      );
    }
    case 'serve':
      return serve(config, values['pin-from-terminal'] === true);
    case 'activate': {
      if (!config.provider) throw new BridgeError('bad_request', "Give the provider's address with --provider URL (or EID_BRIDGE_PROVIDER)");
      const [{ activate }, { parseNonceRequest }, { createPinPrompt }] = await Promise.all([
        import('./activate.ts'),
        import('./contract/reactivation.ts'),
        import('./pin-prompt.ts'),
      ]);
      const given = text(values, 'mobile') ?? '';
      const request = parseNonceRequest({ mobile: given });
      if (!request) throw new BridgeError('bad_request', `--mobile: "${given}" is not a phone number (e.g. +32 470 12 34 56)`);
      const prompt = createPinPrompt();
      const module = openModule(config.module);
      try {
        const result = await activate({
          module,
          provider: config.provider,
          mobile: request.mobile,
          prompt,
          card: text(values, 'card'),
          interactive: process.stdin.isTTY === true,
          say,
        });
        out(`Card number: ${result.cardNumber}`);
        out(`Activation code: ${result.activationToken}`);
        say(
          `On the device you want to use, open the login page of ${config.provider}, choose "Reactivate my account", then "I have an activation code", and type the same mobile number and this activation code.`,
        );
      } finally {
        prompt.close();
        closeModule(module);
      }
      return;
    }
    case 'install-autostart':
    case 'uninstall-autostart':
      if (!(await autostart(command === 'install-autostart'))) process.exitCode = 1;
      return;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    say(`eid-bridge: ${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const error = toBridgeError(e);
  say(`eid-bridge: ${error.message} [${error.code}]`);
  if (error.code === 'internal') say(String((error.cause as Error | undefined)?.stack ?? error.cause));
  process.exitCode = 1;
});
