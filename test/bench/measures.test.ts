// The benchmark's cost figures come from these two instruments: if they miscount, every per-operation figure in
// bench-results.json is wrong while looking plausible. The refresh's floor is a third: a floor that did less than a
// refresh would make the provider look worse than it is.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startWireCounter } from '../../bench/pg-wire-counter.ts';
import { treeCpuMs, treePoolCpuMs, treeRssMiB } from '../../bench/process-tree.ts';
import { POSTGRES_TEST_URL } from '../helpers/components.ts';
import { startRefreshFloor } from '../../bench/refresh-floor.ts';
import { basic } from '../../bench/load.ts';
import { freshPostgresUrl } from '../helpers/db.ts';
import { freePort } from '../helpers/ports.ts';

describe('the statement counter between the provider and PostgreSQL', () => {
  it('counts each simple query and each execution of a prepared statement once, and passes their answers through', async () => {
    const counter = await startWireCounter(POSTGRES_TEST_URL);
    const client = new pg.Client({ connectionString: counter.url });
    try {
      await client.connect();
      const afterConnect = counter.queries();
      await client.query('select 1');
      const answer = await client.query('select $1::int + 1 as n', [41]);
      await client.query({ name: 'again', text: 'select $1::text as t', values: ['a'] });
      await client.query({ name: 'again', text: 'select $1::text as t', values: ['b'] });
      expect(answer.rows).toEqual([{ n: 42 }]);
      expect(counter.queries() - afterConnect).toBe(4);
    } finally {
      await client.end();
      await counter.close();
    }
  });
});

describe("the provider's process tree", () => {
  it('adds the CPU and memory of a running child process to its parent', async () => {
    // A parent that only waits, and a child that burns 400 ms of CPU, says so, and stays until its parent is gone:
    // the tree's CPU is the child's, however long the shared machine takes to give it those 400 ms. The child goes
    // once it has another parent: it asked for its parent's pid after saying "burnt", by when the test had killed the
    // parent, so it watched pid 1 for ever and held vitest's stderr open (a CI run hung after its summary).
    const child =
      "const p=process.ppid;const s=process.cpuUsage();while((process.cpuUsage(s).user+process.cpuUsage(s).system)<400000);console.log('burnt');setInterval(()=>{if(process.ppid!==p)process.exit()},100)";
    const parent = spawn(
      process.execPath,
      ['-e', `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' })`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve) => parent.stdout.on('data', (d: Buffer) => d.toString().includes('burnt') && resolve()));
      expect(treeCpuMs(parent.pid!)).toBeGreaterThanOrEqual(400);
      // Two Node.js processes: each holds tens of MiB.
      expect(treeRssMiB(parent.pid!)).toBeGreaterThan(2 * 20);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it("tells the thread pool's CPU apart from the event loop's", async () => {
    // 300 ms of pbkdf2 on the pool, then 300 ms of busy loop on the event loop; the process stays until killed.
    const script =
      "const c=require('node:crypto');const s=process.cpuUsage();const burn=()=>{if(process.cpuUsage(s).user<300000)c.pbkdf2('p','s',20000,32,'sha256',burn);else{const t=process.cpuUsage();while(process.cpuUsage(t).user<300000);console.log('burnt');setInterval(()=>{},1000)}};burn()";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('burnt') && resolve()));
      const pool = treePoolCpuMs(child.pid!);
      expect(pool).toBeGreaterThanOrEqual(250);
      expect(treeCpuMs(child.pid!) - pool).toBeGreaterThanOrEqual(250);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe("the refresh's floor", () => {
  it('rotates a refresh token as a refresh does: used once, answered with new tokens and an RS256 ID token, for its client only', async () => {
    const authorization = basic('app', 'secret');
    const floor = await startRefreshFloor({ databaseUrl: await freshPostgresUrl(), port: await freePort(), authorization, tokens: ['first'] });
    const refresh = async (token: string, credentials = authorization) => {
      const answer = await fetch(`${floor.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: credentials },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      });
      return { status: answer.status, body: (await answer.json()) as { refresh_token?: string; id_token?: string; error?: string } };
    };
    try {
      const first = await refresh('first');
      expect(first.status).toBe(200);
      const [header, , signature] = first.body.id_token!.split('.');
      expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'RS256' });
      // An RSA-2048 signature: 256 bytes.
      expect(Buffer.from(signature!, 'base64url')).toHaveLength(256);
      expect(await refresh('first')).toEqual({ status: 400, body: { error: 'invalid_grant' } });
      expect((await refresh(first.body.refresh_token!, basic('app', 'wrong'))).status).toBe(401);
      expect((await refresh(first.body.refresh_token!)).status).toBe(200);
    } finally {
      await floor.stop();
    }
  });
});
