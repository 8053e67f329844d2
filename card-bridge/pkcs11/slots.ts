// Readers (slots) and the cards in them (tokens). A Belgian eID is a token labelled BELPIC; OpenSC may add a
// suffix naming the PIN, so only the first word counts.
import pkcs11js from 'pkcs11js';
import { BridgeError } from '../errors.ts';
import { toBridgeError } from './errors.ts';
import type { Pkcs11Api } from './module.ts';

// Missing from pkcs11js' typings, present in PKCS#11 and at run time.
const CKF_TOKEN_PRESENT = 0x1;

export interface SlotReport {
  /** The slot handle, for the PKCS#11 calls; `id` is its printable form. */
  handle: Buffer;
  id: string;
  reader: string;
  cardPresent: boolean;
  tokenLabel: string | undefined;
  eid: boolean;
  /** The reader has a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH): the PIN is typed there, not on the computer. */
  pinPad: boolean;
}

const slotId = (handle: Buffer): string => (handle.length >= 8 ? handle.readBigUInt64LE(0) : BigInt(handle.readUInt32LE(0))).toString();

export const isEidLabel = (label: string): boolean => /^BELPIC\b/.test(label.trim());

export function listSlots(api: Pkcs11Api): SlotReport[] {
  let handles: Buffer[];
  try {
    handles = api.C_GetSlotList(false);
  } catch (e) {
    throw toBridgeError(e);
  }
  return handles.map((handle) => {
    const slot = api.C_GetSlotInfo(handle);
    const report: SlotReport = {
      handle,
      id: slotId(handle),
      reader: slot.slotDescription.trim(),
      cardPresent: (slot.flags & CKF_TOKEN_PRESENT) !== 0,
      tokenLabel: undefined,
      eid: false,
      pinPad: false,
    };
    if (!report.cardPresent) return report;
    try {
      const token = api.C_GetTokenInfo(handle);
      report.tokenLabel = token.label.trim();
      report.eid = isEidLabel(token.label);
      report.pinPad = (token.flags & pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0;
    } catch {
      // A card the module does not understand (CKR_TOKEN_NOT_RECOGNIZED) is present but not an eID.
    }
    return report;
  });
}

/** Every slot holding a Belgian eID (one per reader), or the error telling the citizen what is missing. */
export function eidSlotsOf(slots: SlotReport[]): SlotReport[] {
  const eids = slots.filter((s) => s.eid);
  if (eids.length) return eids;
  if (slots.length === 0) throw new BridgeError('no_reader', 'No card reader found: connect your card reader');
  if (!slots.some((s) => s.cardPresent)) throw new BridgeError('no_card', 'No card in the reader: insert your Belgian eID card');
  throw new BridgeError('not_eid', 'The card in the reader is not a Belgian eID: insert your eID card');
}

/** The first slot holding a Belgian eID: for the terminal commands, where the citizen has one card at hand. */
export const eidSlotOf = (slots: SlotReport[]): SlotReport => eidSlotsOf(slots)[0]!;

export const findEid = (api: Pkcs11Api): SlotReport => eidSlotOf(listSlots(api));

export const findEids = (api: Pkcs11Api): SlotReport[] => eidSlotsOf(listSlots(api));

/** PIN tries left as the token's flags tell after a failed login; undefined when it does not say. */
export function pinTriesLeft(api: Pkcs11Api, slot: Buffer): number | undefined {
  let flags: number;
  try {
    flags = api.C_GetTokenInfo(slot).flags;
  } catch {
    return undefined;
  }
  if (flags & pkcs11js.CKF_USER_PIN_LOCKED) return 0;
  if (flags & pkcs11js.CKF_USER_PIN_FINAL_TRY) return 1;
  // The Belgian eID allows three tries: "count low" after one wrong PIN leaves two.
  if (flags & pkcs11js.CKF_USER_PIN_COUNT_LOW) return 2;
  return undefined;
}
