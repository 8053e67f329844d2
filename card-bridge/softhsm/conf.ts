// Where the virtual eID lives: a project-local SoftHSM2 configuration (./.softhsm/softhsm2.conf, tokens in
// ./.softhsm/tokens), so that no root rights or system files are needed. SoftHSM reads SOFTHSM2_CONF when the
// module is initialised; when it is set, it names the configuration to use.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PROJECT_CONF = join('.softhsm', 'softhsm2.conf');

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

/** Lets `eid-bridge status` and friends find a virtual eID provisioned in this folder without exporting SOFTHSM2_CONF. */
export function useProjectSoftHsmConf(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): void {
  if (!env.SOFTHSM2_CONF && existsSync(resolve(cwd, PROJECT_CONF))) env.SOFTHSM2_CONF = resolve(cwd, PROJECT_CONF);
}
