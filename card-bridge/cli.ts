#!/usr/bin/env node
// The `eid-bridge` command: argument parsing and output only; the work is in the modules it calls.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, settingsHelp, type Config } from './config.ts';
import { BridgeError } from './errors.ts';
import { closeModule, openModule, type Pkcs11Module } from './pkcs11/module.ts';
import { toBridgeError } from './pkcs11/errors.ts';
import { findEid } from './pkcs11/slots.ts';
import { softHsmConfPath, useProjectSoftHsmConf } from './softhsm/conf.ts';
import { status, type Status } from './status.ts';

// Each command imports what only it needs when it runs: a citizen's `status` should not wait for X.509,
// phone-number or daemon code to load.

const USAGE = `Usage: eid-bridge <command> [options]

Commands:
  status [--json]                 the PKCS#11 module, the readers, whether a Belgian eID is present
  read                            the card holder's data, as JSON
  serve [--port N] [--pin-from-terminal]
                                  the daemon on 127.0.0.1 for the provider's pages
  activate --provider URL --mobile NUMBER
                                  reactivate your account from this terminal: prints the 6-character token
  install-autostart               start \`serve\` whenever you log in (systemd user unit, launchd agent, or
                                  the Windows Run key of your account); uninstall-autostart undoes it
  provision-softhsm [--national-number NN] [--surname S] [--given-names G] [--card-number N] [--pin PIN]
                    [--key ec-p384|rsa-2048] [--ocsp-url URL] [--ca-issuers-url URL] [--out DIR]
                    [--style beid|opensc] [--add]
                                  create a virtual Belgian eID in SoftHSM2 (development and tests): shown as
                                  beid shows a card, or as OpenSC does (no identity objects); --add keeps the
                                  cards already there, as a second card in a second reader

Options for every command: --module PATH (the PKCS#11 module), --help

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
  activate: { ...COMMON, provider: { type: 'string' }, mobile: { type: 'string' } },
  'install-autostart': COMMON,
  'uninstall-autostart': COMMON,
  'provision-softhsm': {
    ...COMMON,
    'national-number': { type: 'string', default: '85073100328' },
    surname: { type: 'string', default: 'Specimen' },
    'given-names': { type: 'string', default: 'Jan Karel' },
    'card-number': { type: 'string', default: '592123456789' },
    pin: { type: 'string', default: '1234' },
    key: { type: 'string', default: 'ec-p384' },
    'ocsp-url': { type: 'string', default: 'http://127.0.0.1:2560' },
    'ca-issuers-url': { type: 'string' },
    out: { type: 'string' },
    style: { type: 'string', default: 'beid' },
    add: { type: 'boolean' },
  },
} as const;

type Command = keyof typeof COMMANDS;

function valid<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BridgeError('bad_request', parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.data;
}

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
  if (pinFromTerminal && !process.stdin.isTTY) throw new BridgeError('bad_request', '--pin-from-terminal needs a terminal: standard input is not one (a PIN must not come from a file or a pipe)');
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

async function autostart(install: boolean): Promise<void> {
  const [{ autostartFor, installAutostart, uninstallAutostart }, { isSea }, { homedir }] = await Promise.all([import('./autostart.ts'), import('node:sea'), import('node:os')]);
  // A single executable starts itself; otherwise Node starts this script.
  const command = isSea() ? [process.execPath] : [process.execPath, fileURLToPath(import.meta.url)];
  const plan = autostartFor(process.platform, { home: homedir(), command, uid: process.getuid?.() });
  const report = install ? installAutostart(plan) : uninstallAutostart(plan);
  if (report.file) out(`${install ? 'Wrote' : 'Removed'} ${report.file}`);
  if (report.failed.length) {
    say(`Could not run: ${report.failed.join('; ')}. ${install ? 'Run it in your desktop session, or log out and in after enabling it' : 'The bridge may still run until you log out'}.`);
    process.exitCode = 1;
    return;
  }
  out(install ? 'The eID bridge now starts when you log in.' : 'The eID bridge no longer starts when you log in.');
}

async function provision(values: Flags, config: Config): Promise<void> {
  const [{ pinSchema }, { parseNationalNumber }, { provisionSoftHsm }, { ocspResponderCommand }] = await Promise.all([
    import('./card.ts'),
    import('./national-number.ts'),
    import('./softhsm/provision.ts'),
    import('./softhsm/pki-files.ts'),
  ]);
  const nationalNumber = parseNationalNumber(String(values['national-number']));
  const o = valid(
    z.object({
      surname: z.string().trim().min(1).max(100),
      'given-names': z.string().trim().min(1).max(100),
      'card-number': z.string().transform((s) => s.replace(/[\s-]/g, '')).pipe(z.string().regex(/^\d{12}$/, 'a card number has 12 digits')),
      pin: pinSchema,
      key: z.enum(['ec-p384', 'rsa-2048']),
      'ocsp-url': z.url({ protocol: /^https?$/ }),
      // Where the card's certificates say their CA is published, as Belgian cards since 2017 do.
      'ca-issuers-url': z.url({ protocol: /^https?$/ }).optional(),
      style: z.enum(['beid', 'opensc']),
    }),
    values,
  );
  const confPath = softHsmConfPath();
  const confFromEnv = Boolean(process.env.SOFTHSM2_CONF);
  const outDir = resolve(text(values, 'out') ?? resolve(dirname(confPath), 'pki'));
  const holder = { nationalNumber, surname: o.surname, givenNames: o['given-names'], cardNumber: o['card-number'] };
  await provisionSoftHsm({ holder, pin: o.pin, key: o.key, ocspUrl: o['ocsp-url'], caIssuersUrl: o['ca-issuers-url'], outDir, confPath, modulePath: text(values, 'module') ?? config.softhsmModule, style: o.style, add: values.add === true });
  const ocspPort = Number(new URL(o['ocsp-url']).port || 80);
  out(`Virtual Belgian eID (${o.style === 'opensc' ? 'as OpenSC shows it, without identity objects' : 'token BELPIC'}) for ${holder.givenNames} ${holder.surname}, national number ${nationalNumber}, card ${holder.cardNumber}, ${o.key} keys.`);
  out(`  SoftHSM2 configuration: ${confPath}${confFromEnv ? '' : ' (found automatically in this folder; elsewhere set SOFTHSM2_CONF)'}`);
  out(`  Test PKI in ${outDir}: the provider may trust root.pem for tests, never in production.`);
  out(`  OCSP responder for ${o['ocsp-url']}: ${ocspResponderCommand(outDir, ocspPort)}`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === 'help') return out(USAGE);
  if (!(command in COMMANDS)) {
    say(`eid-bridge: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const values = parseArgs({ args, options: COMMANDS[command as Command], strict: true, allowPositionals: false }).values as Flags;
  if (values.help) return out(USAGE);
  if (command !== 'provision-softhsm') useProjectSoftHsmConf();
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
      return out(JSON.stringify(withModule(config, (m) => {
        const slot = findEid(m.api);
        return { module: m.path, reader: slot.reader, ...readCard(m.api, slot.handle) };
      }), null, 2));
    }
    case 'serve':
      return serve(config, values['pin-from-terminal'] === true);
    case 'activate': {
      if (!config.provider) throw new BridgeError('bad_request', 'Give the provider\'s address with --provider URL (or EID_BRIDGE_PROVIDER)');
      const [{ activate }, { mobileSchema }, { createPinPrompt }] = await Promise.all([import('./activate.ts'), import('./reactivation.ts'), import('./pin-prompt.ts')]);
      const { mobile } = valid(z.object({ mobile: mobileSchema }), { mobile: text(values, 'mobile') ?? '' });
      const prompt = createPinPrompt();
      const module = openModule(config.module);
      try {
        const result = await activate({ module, provider: config.provider, mobile, prompt, say });
        out(`Card number: ${result.cardNumber}`);
        out(`Activation token: ${result.activationToken}`);
        say('Type this token in the app to reactivate your account.');
      } finally {
        prompt.close();
        closeModule(module);
      }
      return;
    }
    case 'install-autostart':
    case 'uninstall-autostart':
      return autostart(command === 'install-autostart');
    case 'provision-softhsm':
      return provision(values, config);
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
