// `npm run bench [-- --quick] [-- --db pglite|postgres]`: throughput and latency of the provider's hot paths,
// each set against its physical limit measured in the same run, on the embedded database (one process) and on
// PostgreSQL (one process per core). Load comes from a separate process on loopback; eID token validation runs in
// this process. Writes bench-results.json.
import os from 'node:os';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import argon2 from 'argon2';
import { loadConfig, type Config } from '../provider/app/settings.ts';
import { createDb } from '../provider/platform/db/knex.ts';
import { createServices } from '../provider/app/server.ts';
import { createClient } from '../provider/oidc/clients.ts';
import { freshPostgresUrl } from '../test/helpers/db.ts';
import { freePort, spawnProvider } from '../test/helpers/provider.ts';
import { login, type LoadResult, type LoadSpec } from './load.ts';
import { benchEidValidation } from './eid.ts';

const { values: opts } = parseArgs({ options: { quick: { type: 'boolean' }, db: { type: 'string' } } });
const quick = opts.quick ?? false;
const SECONDS = quick ? 2 : 15;
const CPUS = os.availableParallelism();
const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));
const PASSWORD = 'bench password that is long enough';
const API = 'https://api.bench.invalid';
// The provider's own argon2id defaults, written out: the test helper that spawns the provider would otherwise give
// it the cheap test cost, and the logins would not be measured against the ceiling of the same parameters.
const defaults = loadConfig({ NODE_ENV: 'test' });
const PRODUCTION_ARGON2 = {
  ARGON2_MEMORY_KIB: String(defaults.argon2MemoryKib),
  ARGON2_TIME_COST: String(defaults.argon2TimeCost),
  ARGON2_PARALLELISM: String(defaults.argon2Parallelism),
};

interface Scenario {
  name: string;
  per_core_rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  limit_per_core_rps?: number;
  ratio_to_limit?: number;
  errors: number;
  note?: string;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** argon2id verifications per second on one core, with the provider's parameters: one login needs one. */
async function argon2VerifyRate(config: Config, seconds: number): Promise<number> {
  const params = { type: argon2.argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism } as const;
  const hash = await argon2.hash(PASSWORD, params);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await argon2.verify(hash, PASSWORD);
    n++;
  }
  return n / seconds;
}

function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

function summarise(name: string, r: LoadResult, processes: number, limit?: number, latencies = r.latenciesMs): Scenario {
  const sorted = [...latencies].sort((a, b) => a - b);
  const perCore = r.requests / r.seconds / processes;
  return {
    name,
    per_core_rps: round(perCore),
    p50_ms: round(pct(sorted, 50)),
    p95_ms: round(pct(sorted, 95)),
    p99_ms: round(pct(sorted, 99)),
    ...(limit ? { limit_per_core_rps: round(limit), ratio_to_limit: round(perCore / limit, 2) } : {}),
    errors: r.errors,
    ...(r.firstError ? { note: r.firstError } : {}),
  };
}

async function benchDatabase(kind: 'pglite' | 'postgres') {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-bench-'));
  const databaseUrl = kind === 'postgres' ? (process.env.DATABASE_URL ?? (await freshPostgresUrl())) : undefined;
  const processes = kind === 'postgres' ? CPUS : 1;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    ISSUER: issuer,
    PORT: String(port),
    DATA_DIR: dataDir,
    WORKERS: String(processes),
    // Login throttling would count the benchmark's repeated logins as an attack.
    RATE_LIMIT_LOGIN: '1000000',
    RESOURCE_SERVERS: API,
    ...PRODUCTION_ARGON2,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const config = loadConfig(env);

  // Data: users with the production argon2id cost, a first-party app, a machine client.
  const db = createDb({ databaseUrl, dataDir });
  const services = await createServices(config, db);
  const hash = await services.hasher.hash(PASSWORD);
  const users = Array.from({ length: 64 }, (_, i) => ({ username: `bench${i}`, password: PASSWORD }));
  for (const u of users) await services.users.create(db, { username: u.username, passwordHash: hash, status: 'active' });
  const redirectUri = 'http://127.0.0.1:9/cb';
  const app = await createClient(services.provider(), { name: 'Bench app', redirectUris: [redirectUri], firstParty: true });
  const machine = await createClient(services.provider(), { name: 'Bench machine', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
  await db.destroy();

  const ceiling = await argon2VerifyRate(config, quick ? 1 : 3);
  const server = await spawnProvider({ ...env, LOG_LEVEL: 'silent' });
  const base: Omit<LoadSpec, 'scenario' | 'connections'> = {
    urls: [issuer],
    issuer,
    seconds: SECONDS,
    client: { id: app.client_id, secret: app.client_secret!, redirectUri },
    machine: { id: machine.client_id, secret: machine.client_secret! },
    api: API,
    users,
  };
  const scenarios: Scenario[] = [];
  try {
    // A login costs one argon2id verification: enough connections to keep every core's hashing busy.
    const logins = await load({ ...base, scenario: 'login', connections: 4 * processes });
    scenarios.push(summarise('password_login', logins, CPUS, ceiling));
    scenarios.push(summarise('login_page_under_login_load', { ...logins, requests: logins.loginPageMs?.length ?? 0 }, CPUS, undefined, logins.loginPageMs));

    scenarios.push(summarise('client_credentials', await load({ ...base, scenario: 'client_credentials', connections: 16 }), CPUS));
    // The same grant for an API in RESOURCE_SERVERS: a signed JWT, no database write.
    scenarios.push(summarise('client_credentials_jwt', await load({ ...base, scenario: 'client_credentials_jwt', connections: 16 }), CPUS));

    // Tokens for refresh and userinfo come from real logins, one independent refresh chain per connection.
    const granted = [];
    for (let i = 0; i < 16; i++) granted.push(await login(issuer, base, users[i]!, [], { scope: 'openid offline_access', prompt: 'consent' }));
    scenarios.push(summarise('refresh_token', await load({ ...base, scenario: 'refresh', connections: 16, tokens: granted.map((t) => t.refresh_token!) }), CPUS));
    scenarios.push(summarise('userinfo', await load({ ...base, scenario: 'userinfo', connections: 16, tokens: granted.map((t) => t.access_token) }), CPUS));
    scenarios.push(summarise('discovery_jwks', await load({ ...base, scenario: 'discovery_jwks', connections: 16 }), CPUS));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { db: kind, processes, argon2_verify_per_core_rps: round(ceiling), scenarios };
}

async function machineInfo() {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  let pg = 'n/a';
  try {
    pg = (await promisify(execFile)('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-tAc', 'show server_version'])).stdout.trim();
  } catch {
    /* no server */
  }
  return { cpus: CPUS, cpu, memory_gib: round(os.totalmem() / 2 ** 30, 0), node: process.version, postgres: pg };
}

const kinds = (opts.db ? [opts.db] : ['pglite', 'postgres']) as ('pglite' | 'postgres')[];
const machine = await machineInfo();
const runs = [];
for (const kind of kinds) runs.push(await benchDatabase(kind));
const eid = await benchEidValidation({ seconds: quick ? 1.5 : SECONDS, limitSeconds: quick ? 0.5 : 3 });

const results = {
  machine: { ...machine, db: kinds.join('+') },
  quick,
  seconds_per_scenario: SECONDS,
  scenarios: [
    ...runs.flatMap((r) => r.scenarios.map((s) => ({ ...s, name: `${s.name} (${r.db}, ${r.processes} process${r.processes > 1 ? 'es' : ''})` }))),
    // One process, one core: no division by the machine's cores.
    summarise('eID token validation (chain + cached OCSP + signature)', eid.validation, 1, eid.verifyPerSecond),
  ],
};
writeFileSync('bench-results.json', JSON.stringify(results, null, 2) + '\n');

console.log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gib} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}`);
for (const r of runs) console.log(`${r.db}: argon2id verify ceiling ${r.argon2_verify_per_core_rps}/s per core (the limit of password_login)`);
console.log(`eID: ${eid.algorithm} signature verify ceiling ${round(eid.verifyPerSecond)}/s on one core (crypto.verify of the token's signature; the limit of eID token validation, ratio = validations/s ÷ raw verifies/s)`);
console.log('| scenario | per core /s | p50 ms | p95 ms | p99 ms | limit /s/core | ratio | errors |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of results.scenarios) {
  console.log(`| ${s.name} | ${s.per_core_rps} | ${s.p50_ms} | ${s.p95_ms} | ${s.p99_ms} | ${s.limit_per_core_rps ?? ''} | ${s.ratio_to_limit ?? ''} | ${s.errors}${s.note ? ` (${s.note})` : ''} |`);
}
console.log('per core = requests per second divided by the machine\'s cores (the load generator shares them); eID validation runs in-process on one core.');
