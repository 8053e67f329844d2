// Sessions, login and object lookup. Every PKCS#11 failure leaves this file as a BridgeError.
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';
import type { BridgeError } from '../errors.ts';
import { pinIncorrect, pinLocked, pkcs11Code, toBridgeError } from './errors.ts';
import type { Pkcs11Api } from './module.ts';
import { pinTriesLeft } from './slots.ts';

export interface Session {
  api: Pkcs11Api;
  slot: Buffer;
  handle: Buffer;
}

/**
 * Runs `fn` in a session on `slot`, closing it whatever happens (a pulled card makes closing fail too). When `fn`
 * returns a promise (a PIN pad login waited for in another thread), the session is closed once it settles.
 */
export function withSession<T>(api: Pkcs11Api, slot: Buffer, fn: (session: Session) => T, options: { readWrite?: boolean } = {}): T {
  let handle: Buffer;
  try {
    handle = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | (options.readWrite ? pkcs11js.CKF_RW_SESSION : 0));
  } catch (e) {
    throw toBridgeError(e);
  }
  const close = () => {
    try {
      api.C_CloseSession(handle);
    } catch {
      // Already gone with the card; the error that matters is thrown.
    }
  };
  let result: T;
  try {
    result = fn({ api, slot, handle });
  } catch (e) {
    close();
    throw toBridgeError(e);
  }
  if (!(result instanceof Promise)) {
    close();
    return result;
  }
  return result.then(
    (value: unknown) => (close(), value),
    (e: unknown) => {
      close();
      throw toBridgeError(e);
    },
  ) as T;
}

/** A failed C_Login as the citizen should hear it: a wrong PIN with the tries left when the token tells. */
export function loginError(session: Session, e: unknown): BridgeError | undefined {
  const code = pkcs11Code(e);
  if (code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return undefined;
  if (code === pkcs11js.CKR_PIN_INCORRECT) {
    const triesLeft = pinTriesLeft(session.api, session.slot);
    return triesLeft === 0 ? pinLocked(e) : pinIncorrect(triesLeft, e);
  }
  return toBridgeError(e);
}

/**
 * Logs the user in. `pin` null means the reader's PIN pad: pkcs11js cannot pass a NULL pointer, and an
 * empty PIN (length 0) is what beid and OpenSC take as "ask the PIN pad".
 */
export function login(session: Session, pin: string | null): void {
  try {
    session.api.C_Login(session.handle, pkcs11js.CKU_USER, pin ?? '');
  } catch (e) {
    const error = loginError(session, e);
    if (error) throw error;
  }
}

export function logout(session: Session): void {
  try {
    session.api.C_Logout(session.handle);
  } catch {
    // Closing the session logs out as well.
  }
}

export function findObjects(session: Session, template: Template): Buffer[] {
  const { api, handle } = session;
  api.C_FindObjectsInit(handle, template);
  try {
    return api.C_FindObjects(handle, 16);
  } finally {
    api.C_FindObjectsFinal(handle);
  }
}

/** The first object of `objectClass` with this label; searching by CKA_ID is avoided since its width differs by platform. */
export function findByLabel(session: Session, objectClass: number, label: string): Buffer | undefined {
  return findObjects(session, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: label },
  ])[0];
}

export function readAttribute(session: Session, object: Buffer, type: number): Buffer {
  const [attribute] = session.api.C_GetAttributeValue(session.handle, object, [{ type }]);
  return attribute?.value ?? Buffer.alloc(0);
}
