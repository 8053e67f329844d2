// A virtual eID made by `npm run test-cards` lives in a project-local SoftHSM2 configuration
// (./.softhsm/softhsm2.conf). SoftHSM reads SOFTHSM2_CONF when the module is initialised; pointing it at that file
// when it exists lets a developer run `eid-bridge status` in the project folder without exporting anything, and
// changes nothing for a citizen, who has no such folder.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_CONF = join('.softhsm', 'softhsm2.conf');

export function useProjectSoftHsmConf(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): void {
  if (!env.SOFTHSM2_CONF && existsSync(resolve(cwd, PROJECT_CONF))) env.SOFTHSM2_CONF = resolve(cwd, PROJECT_CONF);
}
