// A login that may wait for a person at the card reader. PKCS#11 has no asynchronous C_Login, and with a PIN pad
// the call lasts until the PIN is typed on the reader; made in a worker thread, it leaves the daemon free to
// answer, to cancel and to time the operation out meanwhile.
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import pkcs11js from 'pkcs11js';
import { BridgeError } from '../errors.ts';
import { embeddedText, inSingleExecutable } from '../sea/embedded.ts';
import { loginError, type Session } from './session.ts';
import type { LoginJob, LoginOutcome } from './pinpad-worker.ts';

export type OffThreadLogin = (session: Session) => Promise<void>;

export const PINPAD_WORKER_ASSET = 'pinpad-worker.cjs';

/** The worker's script: beside this file (.ts in the source, .js compiled), or carried by the single executable. */
const startWorker = (job: LoginJob): Worker =>
  inSingleExecutable
    ? new Worker(embeddedText(PINPAD_WORKER_ASSET), { eval: true, workerData: job })
    : new Worker(new URL(`./pinpad-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url), { workerData: job });

/** Logs `session` in from a worker thread; `pin` '' is "ask the PIN pad" (see login in session.ts). */
export function loginInWorker(modulePath: string, pin = ''): OffThreadLogin {
  return (session) =>
    new Promise((resolve, reject) => {
      const job: LoginJob = { path: modulePath, session: session.handle, pin };
      const worker = startWorker(job);
      worker.once('message', (outcome: LoginOutcome) => {
        if (outcome.ok) return resolve();
        if (outcome.code === undefined) return reject(new BridgeError('internal', `The PIN pad login failed: ${outcome.message}`));
        const error = loginError(session, new pkcs11js.Pkcs11Error(outcome.message, outcome.code, outcome.method ?? 'C_Login'));
        if (error) reject(error);
        else resolve();
      });
      worker.once('error', (e) => reject(new BridgeError('internal', `The PIN pad login failed: ${e.message}`, { cause: e })));
    });
}
