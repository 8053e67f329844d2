// What the single executable carries besides its script (Node's single executable applications): the pkcs11js
// addon and the PIN pad worker's script, as assets. Node loads an addon only from a file, so the addon is written
// once to a private cache folder named by its hash (a new version gets a new folder; a file that does not match its
// hash, e.g. half-written, is written again) and loaded from there.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';

export const inSingleExecutable = isSea();

/** The user's cache folder, per system's convention. */
function cacheHome(env = process.env): string {
  if (process.platform === 'win32') return env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches');
  return env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The embedded addon `name`, written to `<cache>/eid-bridge/<hash>/name` unless already there, then loaded. */
export function loadEmbeddedAddon(name: string): unknown {
  const bytes = new Uint8Array(getAsset(name));
  const hash = sha256(bytes);
  const dir = join(cacheHome(), 'eid-bridge', hash.slice(0, 16));
  const file = join(dir, name);
  if (!existsSync(file) || sha256(readFileSync(file)) !== hash) {
    // Only this user may write what this process will execute.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, bytes, { mode: 0o600 });
    renameSync(partial, file);
  }
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}

export const embeddedText = (name: string): string => getAsset(name, 'utf8');
