// Shared by the card bridge's tests: a virtual eID in a temporary folder of its own (its own SOFTHSM2_CONF,
// so test files never share a token), the CLI run as a child process with that environment, a fault-injecting
// wrapper around the PKCS#11 functions, and a Web eID signature check that does not reuse the bridge's code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, verify, X509Certificate, constants } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkcs11js from 'pkcs11js';
import type { Pkcs11Api } from '../../card-bridge/pkcs11/module.ts';
import type { WebEidAuthToken } from '../../card-bridge/web-eid.ts';
import { waitUntil } from '../helpers/wait.ts';
import { runOpensslOcsp, type OcspResponder } from '../eid/ocsp-responder.ts';
import { pkiResponderFiles } from '../../tools/test-cards/pki-files.ts';

export { freePort } from '../helpers/ports.ts';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const CLI = fileURLToPath(new URL('../../card-bridge/cli.ts', import.meta.url));
export const TEST_CARDS = fileURLToPath(new URL('../../tools/test-cards/cli.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `eid-bridge` with `input` on a non-TTY stdin (how tests give a PIN); `script`: a copy of its cli.ts elsewhere. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv, input = '', cwd?: string, script = CLI): Promise<CliResult> =>
  run(process.execPath, [script, ...args], env, input, cwd);

/** Runs the development tool that makes virtual eIDs (`npm run test-cards`). */
export const runTestCards = (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> => run(process.execPath, [TEST_CARDS, ...args], env);

/** Runs `command` with `input` on a non-TTY stdin; also for the built single executable. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, input = '', cwd?: string): Promise<CliResult> {
  const child = spawn(command, args, { env, cwd, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface VirtualCard {
  dir: string;
  conf: string;
  pki: string;
  /** The environment in which the bridge sees this card. */
  env: NodeJS.ProcessEnv;
}

const folders: string[] = [];

/** For afterAll: deletes the folders `virtualCard` made in this test file. */
export function removeVirtualCards(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh folder with its own SoftHSM2 configuration; provisioned with `args` when given. */
export async function virtualCard(args: string[] | undefined = []): Promise<VirtualCard> {
  const dir = mkdtempSync(join(tmpdir(), 'eid-bridge-'));
  folders.push(dir);
  const conf = join(dir, '.softhsm', 'softhsm2.conf');
  const env = { ...process.env, SOFTHSM2_CONF: conf, EID_PKCS11_MODULE: SOFTHSM_MODULE };
  const card = { dir, conf, pki: join(dir, '.softhsm', 'pki'), env };
  if (args) {
    const result = await runTestCards(args, env);
    if (result.code !== 0) throw new Error(`test-cards failed: ${result.stderr}`);
  }
  return card;
}

export interface Daemon {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the daemon printed, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A command in a pseudo-terminal made by util-linux `script`, as a person runs it; `input` is typed there. */
const inTerminal = (command: string[]): [string, string[]] => [
  'script',
  ['-q', '-f', '-e', '-E', 'never', '-c', command.map(shellQuote).join(' '), '/dev/null'],
];

/** Runs `eid-bridge` in a terminal, where it may ask questions. */
export const runCliInTerminal = (args: string[], env: NodeJS.ProcessEnv, input: string): Promise<CliResult> =>
  run(...inTerminal([process.execPath, CLI, ...args]), env, input);

/**
 * `eid-bridge serve` with `args`, from the sources or from a built `executable`. `terminal`: in a pseudo-terminal made by util-linux `script`, as a person starts it
 * in a terminal window (what `--pin-from-terminal` needs); what is written to the child's stdin is typed there.
 */
/** `opened`: run without a command, as a file manager opens the executable, which then serves when nothing else starts it. */
export async function startServe(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  options: { terminal?: boolean; executable?: string; opened?: boolean } = {},
): Promise<Daemon> {
  const command = [...(options.executable ? [options.executable] : [process.execPath, CLI]), ...(options.opened ? [] : ['serve']), ...args];
  const [file, args_] = options.terminal ? inTerminal(command) : [command[0]!, command.slice(1)];
  const child = spawn(file, args_, { env: { ...env, EID_BRIDGE_PORT: '0' }, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = await waitUntil(
    () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined),
    15_000,
    'eid-bridge serve',
  );
  if (url === 'exited') throw new Error(`eid-bridge serve exited: ${output}`);
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A Pkcs11Error as a module raises it, e.g. pkcs11Error('CKR_PIN_LOCKED'). */
export function pkcs11Error(name: string, method = 'C_Login'): Error {
  const code = (pkcs11js as unknown as Record<string, number>)[name];
  return new pkcs11js.Pkcs11Error(`${name}:${code}`, code, method);
}

/** The real module's functions with some replaced: the PKCS#11 boundary where SoftHSM cannot fake a card. */
export function withFaults(api: Pkcs11Api, overrides: Partial<Pkcs11Api>): Pkcs11Api {
  return new Proxy(api, {
    get(target, name) {
      const override = (overrides as Record<string | symbol, unknown>)[name];
      if (override) return override;
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const HASH = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', RS256: 'sha256', PS256: 'sha256' } as const;

/** Checks a Web eID token's signature over H(origin) ‖ H(nonce) with node:crypto, independently of web-eid.ts. */
export function webEidSignatureValid(token: WebEidAuthToken, origin: string, nonce: string): boolean {
  const hash = HASH[token.algorithm];
  const h = (s: string) => createHash(hash).update(s, 'utf8').digest();
  const certificate = new X509Certificate(Buffer.from(token.unverifiedCertificate, 'base64'));
  return verify(
    hash,
    Buffer.concat([h(origin), h(nonce)]),
    {
      key: certificate.publicKey,
      dsaEncoding: 'ieee-p1363',
      ...(token.algorithm === 'PS256' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {}),
    },
    Buffer.from(token.signature, 'base64'),
  );
}

export const randomNonce = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');

/** `openssl ocsp` answering for the virtual card from the index.txt that provisioning wrote. */
export const startOcspResponder = (pki: string, port: number): Promise<OcspResponder> => runOpensslOcsp(pkiResponderFiles(pki), port);

/** Polls an asynchronous probe until it returns something other than undefined. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
