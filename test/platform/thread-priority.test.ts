// The pool threads that hash passwords run niced, so that the event loop gets a core first (ARGON2_NICE); what
// `ps -L` would show of a running `idp start`.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnProvider } from '../helpers/provider.ts';
import { POOL_THREAD } from '../../provider/platform/thread-priority.ts';

/** Each thread of `pid`: its name and nice value (proc(5): field 19 of stat, counted after the command's ')'). */
function threads(pid: number) {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
  });
}

describe('hashing threads yield to the event loop', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const start = (env: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'idp-nice-'));
    dirs.push(dir);
    return spawnProvider({ DATA_DIR: dir, ...env });
  };

  it('lowers libuv’s pool threads to ARGON2_NICE and leaves the event loop at its priority', async () => {
    const server = await start({ ARGON2_NICE: '7' });
    try {
      const all = threads(server.child.pid!);
      const pool = all.filter((t) => t.name === POOL_THREAD);
      expect(pool.length).toBeGreaterThan(0);
      expect(pool.map((t) => t.nice)).toEqual(pool.map(() => 7));
      expect(all.filter((t) => t.name !== POOL_THREAD).map((t) => t.nice)).not.toContain(7);
    } finally {
      await server.stop();
    }
  });

  it('leaves every thread at the event loop’s priority with ARGON2_NICE=0', async () => {
    const server = await start({ ARGON2_NICE: '0' });
    try {
      const all = threads(server.child.pid!);
      expect(all.some((t) => t.name === POOL_THREAD)).toBe(true);
      expect(new Set(all.map((t) => t.nice))).toEqual(new Set([0]));
    } finally {
      await server.stop();
    }
  });
});
