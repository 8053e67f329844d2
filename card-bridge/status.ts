// What `eid-bridge status` prints and the daemon's GET /status answers: the module, the readers, and whether
// a Belgian eID is ready, or else what the citizen has to do.
import type { BridgeErrorJson } from './errors.ts';
import { toBridgeError } from './pkcs11/errors.ts';
import type { Pkcs11Module } from './pkcs11/module.ts';
import { eidSlotOf, listSlots, type SlotReport } from './pkcs11/slots.ts';

export interface Status {
  module: { path: string; description: string };
  readers: { slot: string; reader: string; cardPresent: boolean; tokenLabel?: string; eid: boolean; pinPad: boolean }[];
  eidPresent: boolean;
  /** The reader holding the eID has a PIN pad. */
  pinPad: boolean;
  /** Why no eID is ready (no_reader, no_card, not_eid, ...). */
  problem?: BridgeErrorJson;
}

export function status(module: Pkcs11Module): Status {
  let slots: SlotReport[] = [];
  let eid: SlotReport | undefined;
  let problem: BridgeErrorJson | undefined;
  try {
    slots = listSlots(module.api);
    eid = eidSlotOf(slots);
  } catch (e) {
    problem = toBridgeError(e).toJSON();
  }
  return {
    module: { path: module.path, description: module.description },
    readers: slots.map(({ id, reader, cardPresent, tokenLabel, eid, pinPad }) => ({
      slot: id,
      reader,
      cardPresent,
      ...(tokenLabel === undefined ? {} : { tokenLabel }),
      eid,
      pinPad,
    })),
    eidPresent: eid !== undefined,
    pinPad: eid?.pinPad ?? false,
    ...(problem ? { problem } : {}),
  };
}

/**
 * What any web page that may ask learns of this computer (`GET /status`): whether a reader and an eID are there and
 * the PIN pad, for its page to say what is missing. Not the module's path (it may hold the user's name), nor the
 * readers' names or the tokens' labels: the person's own `eid-bridge status` shows those.
 */
export function statusForPages(
  s: Status,
): Omit<Status, 'module' | 'readers'> & { readers: Pick<Status['readers'][number], 'cardPresent' | 'eid' | 'pinPad'>[] } {
  return {
    readers: s.readers.map(({ cardPresent, eid, pinPad }) => ({ cardPresent, eid, pinPad })),
    eidPresent: s.eidPresent,
    pinPad: s.pinPad,
    ...(s.problem ? { problem: s.problem } : {}),
  };
}
