// The body of a worker thread that makes one C_Login. With a PIN pad reader the call returns only once the citizen
// has typed the PIN on the reader (or the reader gave up); here it blocks this thread, not the daemon's.
// The module is the one the daemon loaded: dlopen hands back the same library, so the session is the same session.
import { parentPort, workerData } from 'node:worker_threads';
import pkcs11js from 'pkcs11js';

export interface LoginJob {
  path: string;
  session: Uint8Array;
  pin: string;
}

export type LoginOutcome = { ok: true } | { ok: false; message: string; code?: number; method?: string };

const job = workerData as LoginJob;
const lib = new pkcs11js.PKCS11();
let outcome: LoginOutcome;
try {
  lib.load(job.path);
  try {
    lib.C_Initialize();
  } catch (e) {
    if (!(e instanceof pkcs11js.Pkcs11Error) || e.code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  lib.C_Login(Buffer.from(job.session), pkcs11js.CKU_USER, job.pin);
  outcome = { ok: true };
} catch (e) {
  outcome =
    e instanceof pkcs11js.Pkcs11Error ? { ok: false, message: e.message, code: e.code, method: e.method } : { ok: false, message: (e as Error).message };
}
parentPort!.postMessage(outcome);
