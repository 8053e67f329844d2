// The repository must work wherever it is cloned: no tracked file may name a folder of the machine it was written on
// (a work or home folder, as MACHINE_PATH below lists them) or a folder beside the repository (reached through ..).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);

// Home and work folders of development machines; /tmp and the system's own folders are fine.
const MACHINE_PATH = /(?<![\w.~-])\/(?:work|home|Users|root|mnt|media|srv)(?:\/[\w.-]+)+/g;
const CLIMBING_PATH = /(?<![\w.])(?:\.\.\/)+[\w.-]+(?:\/[\w.-]+)*/g;

/** The paths in `text` (of the file at `file`, relative to the root) that lead out of the repository. */
export function outsidePaths(file: string, text: string): string[] {
  const found = [...text.matchAll(MACHINE_PATH)].map((m) => m[0]);
  for (const [climb] of text.matchAll(CLIMBING_PATH)) {
    // A relative path may be meant from the file's folder (imports, new URL) or from the root (docs, commands).
    const escapes = [path.dirname(file), '.'].every((from) => path.relative(ROOT, path.resolve(ROOT, from, climb)).startsWith('..'));
    if (escapes) found.push(climb);
  }
  return found;
}

describe('the repository stands alone', () => {
  it('finds a machine path or a folder beside the repository when there is one', () => {
    const machine = ['', 'work', 'shared', 'testdata', 'x.pem'].join('/');
    const beside = ['..', '..', '..', 'shared', 'x.json'].join('/');
    expect(outsidePaths('test/eid/a.test.ts', `const a = '${machine}'; const b = new URL('${beside}', import.meta.url);`)).toEqual([machine, beside]);
    expect(outsidePaths('README.md', `See \`${['..', 'shared', 'ARCHITECTURE.md'].join('/')}\``)).toHaveLength(1);
    expect(outsidePaths('provider/db/migrate.ts', "new URL('../../migrations/', import.meta.url); cd /tmp/x")).toEqual([]);
  });

  it('has no tracked file naming such a path', () => {
    expect(files.length).toBeGreaterThan(100);
    const offenders: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(path.join(ROOT, file));
      if (bytes.includes(0)) continue;
      for (const p of outsidePaths(file, bytes.toString('utf8'))) offenders.push(`${file}: ${p}`);
    }
    expect(offenders).toEqual([]);
  });

  it('has its map in docs/architecture.md, naming every folder down to two levels', () => {
    const map = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const folders = new Set(files.map((f) => path.dirname(f).split('/').slice(0, 2).join('/')).filter((d) => d !== '.'));
    // A folder is named with its path (`provider/oidc/`) or, inside its parent's paragraph, by its last part (`oidc/`).
    const unnamed = [...folders].filter((d) => !map.includes(`\`${d}/`) && !map.includes(`\`${d.split('/').at(-1)}/\``));
    expect(unnamed).toEqual([]);
  });
});
