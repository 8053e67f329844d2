// A real `openssl ocsp` responder on a free loopback port, answering from an index.txt like a CA's database:
// V lines for good certificates, R lines for revoked ones, and "unknown" for serials it has never heard of.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as x509 from '@peculiar/x509';
import { type Issuer, privateKeyPem } from '../../tools/test-cards/test-pki.ts';
import { ocspResponderArgs, opensslIndex, type OcspResponderFiles } from '../../tools/test-cards/pki-files.ts';
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
  const revokedAt = new Date(Date.now() - 60_000);
  const files = { index: join(dir, 'index.txt'), ca: join(dir, 'ca.pem'), signer: join(dir, 'ocsp.pem'), signerKey: join(dir, 'ocsp.key') };
  await Promise.all([
    writeFile(files.index, opensslIndex([...good.map((certificate) => ({ certificate })), ...revoked.map((certificate) => ({ certificate, revokedAt }))])),
    writeFile(files.ca, ca.cert.toString('pem')),
    writeFile(files.signer, signer.cert.toString('pem')),
    writeFile(files.signerKey, await privateKeyPem(signer.privateKey)),
  ]);
  return runOpensslOcsp(files, port ?? (await freePort()));
}

/** `openssl ocsp` answering from files on disk (an index.txt, the CA, the signer's certificate and key). */
export async function runOpensslOcsp(files: OcspResponderFiles, port: number): Promise<OcspResponder> {
  const child = spawn('openssl', ocspResponderArgs(files, port), { stdio: ['ignore', 'ignore', 'pipe'] });
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
