// Where a virtual eID lives: SOFTHSM2_CONF when set, else the project-local configuration the bridge also looks for
// (tokens in ./.softhsm/tokens), so that no root rights or system files are needed.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_CONF } from '../../card-bridge/pkcs11/softhsm-conf.ts';

export function softHsmConfPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.SOFTHSM2_CONF ? resolve(cwd, env.SOFTHSM2_CONF) : resolve(cwd, PROJECT_CONF);
}

/** Creates the configuration and its token folder when missing; an existing configuration is used as it is. */
export function ensureSoftHsmConf(confPath: string): void {
  if (existsSync(confPath)) return;
  const tokenDir = join(dirname(confPath), 'tokens');
  mkdirSync(tokenDir, { recursive: true });
  writeFileSync(confPath, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
}
