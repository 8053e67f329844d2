// A real `openssl ocsp` responder on a free loopback port, answering from an index.txt like a CA's database:
// V lines for good certificates, R lines for revoked ones, and "unknown" for serials it has never heard of.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as x509 from '@peculiar/x509';
import { type Issuer, privateKeyPem } from '../../card-bridge/softhsm/test-pki.ts';
import { freePort } from '../helpers/ports.ts';

export { freePort };

export interface OcspResponder {
  url: string;
  stop(): Promise<void>;
}

export interface ResponderOptions {
  /** The CA whose certificates the responder answers for. */
  ca: Issuer;
  /** Who signs the answers: a delegated responder, or the CA itself. */
  signer: Issuer;
  good?: x509.X509Certificate[];
  revoked?: x509.X509Certificate[];
  /** The port the certificates' OCSP URL names; a free one when absent. */
  port?: number;
}

export async function startOcspResponder({ ca, signer, good = [], revoked = [], port }: ResponderOptions): Promise<OcspResponder> {
  const dir = await mkdtemp(join(tmpdir(), 'belid-ocsp-'));
  const revokedAt = opensslTime(new Date(Date.now() - 60_000));
  const lines = [
    ...good.map((c) => ['V', opensslTime(c.notAfter), '', opensslSerial(c), 'unknown', opensslName(c)]),
    ...revoked.map((c) => ['R', opensslTime(c.notAfter), `${revokedAt},keyCompromise`, opensslSerial(c), 'unknown', opensslName(c)]),
  ];
  await Promise.all([
    writeFile(join(dir, 'index.txt'), lines.map((l) => `${l.join('\t')}\n`).join('')),
    writeFile(join(dir, 'ca.pem'), ca.cert.toString('pem')),
    writeFile(join(dir, 'ocsp.pem'), signer.cert.toString('pem')),
    writeFile(join(dir, 'ocsp.key'), await privateKeyPem(signer.privateKey)),
  ]);
  port ??= await freePort();
  const args = ['ocsp', '-index', 'index.txt', '-port', String(port), '-rsigner', 'ocsp.pem', '-rkey', 'ocsp.key', '-CA', 'ca.pem'];
  const child = spawn('openssl', [...args, '-nmin', '5', '-ignore_err'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  await listening(child, port);
  return { url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}


/** openssl announces on stderr when it listens; a probe connection would stall its single-threaded loop. */
function listening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(`openssl ocsp did not listen on ${port}`), 5000);
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${reason}: ${stderr}`));
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('waiting for OCSP client connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => fail('openssl ocsp exited'));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

/** index.txt dates are UTCTime: YYMMDDHHMMSSZ. */
function opensslTime(date: Date): string {
  return `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;
}

/** openssl looks serials up as upper-case hex without leading zero bytes. */
function opensslSerial(certificate: x509.X509Certificate): string {
  return certificate.serialNumber.toUpperCase().replace(/^(00)+(?=..)/, '');
}

function opensslName(certificate: x509.X509Certificate): string {
  return `/${certificate.subject.split(', ').join('/')}`;
}
