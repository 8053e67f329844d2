// Loading a PKCS#11 module. Everything above this file sees only `Pkcs11Api`, the few functions the bridge
// calls, so that a test can wrap them to produce what SoftHSM never does (PIN counters, a pulled card).
import { existsSync, realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { BridgeError } from '../errors.ts';
import { pkcs11Code } from './errors.ts';
import { listSlots } from './slots.ts';

export type Pkcs11Api = Pick<
  pkcs11js.PKCS11,
  | 'C_GetInfo'
  | 'C_GetSlotList'
  | 'C_GetSlotInfo'
  | 'C_GetTokenInfo'
  | 'C_GetMechanismList'
  | 'C_OpenSession'
  | 'C_CloseSession'
  | 'C_Login'
  | 'C_Logout'
  | 'C_FindObjectsInit'
  | 'C_FindObjects'
  | 'C_FindObjectsFinal'
  | 'C_GetAttributeValue'
  | 'C_CreateObject'
  | 'C_SignInit'
  | 'C_Sign'
  | 'C_Finalize'
>;

export interface Pkcs11Module {
  path: string;
  description: string;
  api: Pkcs11Api;
}

const LINUX_LIB = process.arch === 'arm64' ? '/usr/lib/aarch64-linux-gnu' : '/usr/lib/x86_64-linux-gnu';

/** The official beid module first, then OpenSC, then SoftHSM2 (development); per platform. */
export const DEFAULT_MODULES: readonly string[] =
  process.platform === 'darwin'
    ? [
        '/Library/Belgium Identity Card/Pkcs11/beid-pkcs11.bundle/Contents/MacOS/libbeidpkcs11.dylib',
        '/Library/OpenSC/lib/opensc-pkcs11.so',
        '/opt/homebrew/lib/softhsm/libsofthsm2.so',
        '/usr/local/lib/softhsm/libsofthsm2.so',
      ]
    : process.platform === 'win32'
      ? ['beidpkcs11.dll', 'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll', 'C:\\SoftHSM2\\lib\\softhsm2-x64.dll']
      : ['libbeidpkcs11.so.0', `${LINUX_LIB}/opensc-pkcs11.so`, '/usr/lib64/opensc-pkcs11.so', '/usr/lib/softhsm/libsofthsm2.so'];

/** Loads and initialises one module; throws `no_module` naming the path and the loader's reason. */
export function loadModule(path: string): Pkcs11Module {
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(path);
  } catch (e) {
    throw new BridgeError(
      'no_module',
      `Cannot load the PKCS#11 module ${path}: ${(e as Error).message}. Install the Belgian eID software or set EID_PKCS11_MODULE`,
      { cause: e },
    );
  }
  try {
    lib.C_Initialize();
  } catch (e) {
    if (pkcs11Code(e) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw new BridgeError('no_module', `The PKCS#11 module ${path} failed to start: ${(e as Error).message}`, { cause: e });
    }
  }
  const info = lib.C_GetInfo();
  return { path, description: `${info.manufacturerID.trim()} ${info.libraryDescription.trim()}`.trim(), api: lib };
}

export function closeModule(module: Pkcs11Module): void {
  try {
    module.api.C_Finalize();
  } catch {
    // Finalising is best effort at exit: the process ends anyway.
  }
}

function showsEid(module: Pkcs11Module): boolean {
  try {
    return listSlots(module.api).some((s) => s.eid);
  } catch {
    return false;
  }
}

/**
 * The configured module, or else the first default that shows a Belgian eID; when none does, the first that
 * loads, so that `status` can still tell what is missing (no reader, no card).
 */
export function openModule(configured: string | undefined): Pkcs11Module {
  if (configured) return loadModule(configured);
  let fallback: Pkcs11Module | undefined;
  // Two paths to one library would share its state, and finalising one would break the other.
  const paths = new Map(DEFAULT_MODULES.map((p) => [existsSync(p) ? realpathSync(p) : p, p]));
  for (const path of paths.values()) {
    let module: Pkcs11Module;
    try {
      module = loadModule(path);
    } catch {
      continue;
    }
    if (showsEid(module)) {
      if (fallback) closeModule(fallback);
      return module;
    }
    if (fallback) closeModule(module);
    else fallback = module;
  }
  if (fallback) return fallback;
  throw new BridgeError(
    'no_module',
    `No PKCS#11 module found (tried ${DEFAULT_MODULES.join(', ')}): install the Belgian eID software from eid.belgium.be, or set EID_PKCS11_MODULE`,
  );
}
