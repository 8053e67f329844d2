// `idp` on a Node.js older than the provider supports (the end-of-life Node 20 of many machines) stops before
// loading anything and tells the operator how to get Node 24 beside the package.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../provider/app/cli.ts');
const asNode = (version: string) => `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`;
const idp = (version: string) => spawnSync(process.execPath, ['--import', asNode(version), CLI, '--help'], { encoding: 'utf8' });

describe('idp on an unsupported Node.js', () => {
  it('refuses Node 20 and 22.11 with the way out, and runs on 22.12', () => {
    for (const old of ['20.20.2', '22.11.0']) {
      const run = idp(old);
      expect(run.status, old).toBe(1);
      expect(run.stderr).toContain(`idp needs Node.js 22.12 or later (24 recommended); this is Node.js ${old}.`);
      expect(run.stderr).toContain('npm install node@24');
      expect(run.stderr).not.toMatch(/oidc-provider WARNING/);
      expect(run.stdout).toBe('');
    }
    const supported = idp('22.12.0');
    expect(supported.status).toBe(0);
    expect(supported.stdout).toMatch(/^usage: idp </);
  });
});
