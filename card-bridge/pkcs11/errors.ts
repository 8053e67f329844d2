// PKCS#11 return values mapped to the bridge's stable codes. Modules differ in what they return for the same
// event (a pulled card is CKR_DEVICE_REMOVED in one, CKR_TOKEN_NOT_PRESENT or an invalidated session in
// another), so several values share one code.
import pkcs11js from 'pkcs11js';
import { BridgeError } from '../errors.ts';

const CARD_REMOVED = new Set([
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_SLOT_ID_INVALID,
]);

// The reader or the card misbehaved (a worn chip, a loose reader, the middleware's own failure): nothing the
// citizen typed is at fault, and taking the card out and in again is what helps.
const CARD_FAILURE = new Set([
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_DEVICE_MEMORY,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_GENERAL_ERROR,
  pkcs11js.CKR_FUNCTION_FAILED,
]);

export const pkcs11Code = (e: unknown): number | undefined => (e instanceof pkcs11js.Pkcs11Error ? e.code : undefined);

/** Tries left when the module tells (beid never does; SoftHSM does not count). */
export function pinIncorrect(triesLeft: number | undefined, cause?: unknown): BridgeError {
  const suffix = triesLeft === 1 ? ': 1 try left, a further wrong PIN blocks the card' : triesLeft ? `: ${triesLeft} tries left` : '';
  return new BridgeError('pin_incorrect', `Wrong PIN${suffix}`, { cause, triesLeft });
}

export function pinLocked(cause?: unknown): BridgeError {
  return new BridgeError('pin_locked', 'PIN blocked: ask your municipality for your PUK code', { cause, triesLeft: 0 });
}

export function toBridgeError(e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  const code = pkcs11Code(e);
  if (code === undefined) return new BridgeError('internal', 'Unexpected error in the eID bridge: see its log, then retry', { cause: e });
  if (code === pkcs11js.CKR_PIN_INCORRECT) return pinIncorrect(undefined, e);
  if (code === pkcs11js.CKR_PIN_LOCKED) return pinLocked(e);
  if (code === pkcs11js.CKR_PIN_LEN_RANGE || code === pkcs11js.CKR_PIN_INVALID) return pinLengthError(e);
  if (CARD_REMOVED.has(code)) return new BridgeError('card_removed', 'The card was removed: insert it again and retry', { cause: e });
  if (code === pkcs11js.CKR_FUNCTION_CANCELED) return new BridgeError('cancelled', 'PIN entry was cancelled on the card reader', { cause: e });
  const name = (e as Error).message.split(':')[0];
  if (CARD_FAILURE.has(code)) {
    return new BridgeError(
      'card_error',
      `The card or the card reader did not answer properly (${name}): take the card out, insert it again and retry; if it keeps failing, try another reader`,
      { cause: e },
    );
  }
  return new BridgeError('card_error', `The eID software refused the operation (${name}): update the Belgian eID software, then retry`, { cause: e });
}

export function pinLengthError(cause?: unknown): BridgeError {
  return new BridgeError('pin_length', 'The PIN of a Belgian eID has 4 to 12 digits', { cause });
}
