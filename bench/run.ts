// `npm run bench [-- --quick] [-- --db pglite|postgres] [-- --profile SCENARIO] [-- --only SCENARIO,…] [-- --statements]`: throughput and latency of the
// provider's hot paths, each set against its physical limit measured in the same run, on the embedded database (one
// process) and on PostgreSQL (one process per core), and what each operation costs the provider itself: CPU
// milliseconds and database statements. Load comes from a separate process on loopback; eID token validation runs
// in this process. Writes bench-results.json; with --profile, only that scenario, and a CPU profile per process;
// with --statements, no load: the statements one operation of each scenario sends PostgreSQL, listed.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { basic, login, type LoadResult, type LoadSpec } from './load.ts';
import { benchEidValidation } from './eid.ts';
import { treeCpuMs, treePoolCpuMs, treeRssMiB } from './process-tree.ts';
import { startWireCounter, type WireCounter } from './pg-wire-counter.ts';
import { listStatements } from './statements.ts';
import { loginSteps, type StepCost } from './login-steps.ts';
import { startRefreshFloor } from './refresh-floor.ts';

const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean' }, db: { type: 'string' }, profile: { type: 'string' }, only: { type: 'string' }, statements: { type: 'boolean' } },
});
const NOT_NICED = 'password_login_hashing_not_niced';
/** Every scenario, in the order of a full run: what --only and --profile choose from. */
const SCENARIOS = [
  'login_steps',
  'password_login',
  'client_credentials',
  'client_credentials_jwt',
  'refresh_token',
  'refresh_token_es256',
  'refresh_floor',
  'userinfo',
  'discovery_jwks',
  NOT_NICED,
] as const;
type ScenarioName = (typeof SCENARIOS)[number];
// `--only a,b` runs those scenarios in a full run's order, one measured after another; a name that is none of them
// stops the bench before it starts anything.
const only = (opts.profile ?? opts.only)?.split(',');
const unknown = only?.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown?.length) {
  console.error(`No scenario ${unknown.map((n) => `"${n}"`).join(', ')}. --only and --profile take: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const chosen = (name: ScenarioName) => !only || only.includes(name);
const quick = opts.quick ?? false;
const SECONDS = quick ? 3 : 15;
// Long enough for a leak to show against the heap's own breathing after the login scenario has warmed it up.
const SOAK_SECONDS = quick ? 10 : 60;
// V8 compiles a path's hot functions during its first seconds of load, in tiers, on threads of the provider's own
// that its CPU counts: each scenario first runs this long unmeasured, so that its figures are a long-running
// provider's. (Client credentials after 3 s: 0.47, 0.43 and 0.34 ms in three 5 s windows; after 15 s: 0.33 to 0.36.)
const WARMUP_SECONDS = quick ? 1 : 10;
// Other work on the machine's cores comes in bursts that raise a process's CPU per operation (caches, migrations
// between cores): each scenario runs as windows, its cost per operation is the median window's, and its rates and
// latencies are of all the windows together.
const WINDOWS = 3;
const PROFILE_DIR = path.resolve('bench-profiles');
const CPUS = os.availableParallelism();
const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));
const PASSWORD = 'bench password that is long enough';
const API = 'https://api.bench.invalid';
// The provider's own argon2id defaults, written out: the test helper that spawns the provider would otherwise give
// it the cheap test cost, and the logins would not be measured against the ceiling of the same parameters.
const defaults = loadConfig({ NODE_ENV: 'test' });
const PRODUCTION_DEFAULTS = {
  ARGON2_MEMORY_KIB: String(defaults.argon2MemoryKib),
  ARGON2_TIME_COST: String(defaults.argon2TimeCost),
  ARGON2_PARALLELISM: String(defaults.argon2Parallelism),
  // Likewise the claims cache the test helper turns off.
  ACCOUNT_CACHE_SECONDS: String(defaults.accountCacheSeconds),
};

interface Scenario {
  name: string;
  per_core_rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  limit_per_core_rps?: number;
  ratio_to_limit?: number;
  /** User + system CPU of the provider's processes per operation (a login: all its requests), idle cost removed. */
  provider_cpu_ms_per_op?: number;
  /** Of provider_cpu_ms_per_op, what libuv's thread pool spent: argon2id, and the WebCrypto jobs of token signatures. */
  provider_pool_cpu_ms_per_op?: number;
  /** A login's CPU less the one argon2id verification it must do. */
  provider_cpu_ms_per_op_besides_argon2?: number;
  /** Statements the provider sent PostgreSQL per operation (PostgreSQL runs only), idle polling removed. */
  db_queries_per_op?: number;
  errors: number;
  note?: string;
}

/** The provider's counters at one moment: CPU of its process tree, statements on the wire. */
interface Reading {
  at: number;
  cpuMs: number;
  /** The part of cpuMs on libuv's thread pool. */
  poolCpuMs: number;
  queries?: number;
}

interface Meter {
  read(): Reading;
  /** Per-operation cost between two readings, less what the provider spends idle (outbox polling, purge timers). */
  perOp(before: Reading, after: Reading, ops: number): Pick<Scenario, 'provider_cpu_ms_per_op' | 'provider_pool_cpu_ms_per_op' | 'db_queries_per_op'>;
}

/**
 * Resolves once the provider under `pid` has settled: one that has just started to listen is still busy for a few
 * seconds (code compiled on first use, its first timers), and measured then, that work would pass for idle cost and
 * be taken off every operation's, or slow the first requests of a scenario.
 */
async function settled(pid: number): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const [from, at] = [treeCpuMs(pid), performance.now()];
    await new Promise((r) => setTimeout(r, 1000));
    if ((treeCpuMs(pid) - from) / (performance.now() - at) < 0.05) return;
  }
}

async function meter(pid: number, counter: WireCounter | undefined): Promise<Meter> {
  const read = (): Reading => ({
    at: performance.now(),
    cpuMs: treeCpuMs(pid),
    poolCpuMs: treePoolCpuMs(pid),
    ...(counter ? { queries: counter.queries() } : {}),
  });
  await settled(pid);
  const idleStart = read();
  await new Promise((r) => setTimeout(r, 2000));
  const idleEnd = read();
  const idleSpan = idleEnd.at - idleStart.at;
  const idleCpuPerMs = (idleEnd.cpuMs - idleStart.cpuMs) / idleSpan;
  const idleQueriesPerMs = counter ? (idleEnd.queries! - idleStart.queries!) / idleSpan : 0;
  return {
    read,
    perOp(before, after, ops) {
      const span = after.at - before.at;
      const cpu = Math.max(0, after.cpuMs - before.cpuMs - idleCpuPerMs * span);
      return {
        provider_cpu_ms_per_op: ops ? round(cpu / ops, 2) : NaN,
        provider_pool_cpu_ms_per_op: ops ? round((after.poolCpuMs - before.poolCpuMs) / ops, 2) : NaN,
        ...(counter ? { db_queries_per_op: ops ? round(Math.max(0, after.queries! - before.queries! - idleQueriesPerMs * span) / ops, 1) : NaN } : {}),
      };
    },
  };
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * argon2id verifications per second on one core, with the provider's parameters (one login needs one), and the CPU
 * one verification costs (all its threads), which the login's own CPU cost is reported beside.
 */
async function argon2Verify(config: Config, seconds: number): Promise<{ perSecond: number; cpuMs: number }> {
  const params = { type: argon2.argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism } as const;
  const hash = await argon2.hash(PASSWORD, params);
  let n = 0;
  const cpu = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await argon2.verify(hash, PASSWORD);
    n++;
  }
  const used = process.cpuUsage(cpu);
  return { perSecond: n / seconds, cpuMs: (used.user + used.system) / 1000 / n };
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

function together(windows: LoadResult[]): LoadResult {
  const sum = (of: (r: LoadResult) => number) => windows.reduce((n, r) => n + of(r), 0);
  const pages = windows.flatMap((r) => r.loginPageMs ?? []);
  const firstError = windows.find((r) => r.firstError)?.firstError;
  return {
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    seconds: sum((r) => r.seconds),
    latenciesMs: windows.flatMap((r) => r.latenciesMs),
    ...(windows.some((r) => r.loginPageMs) ? { loginPageMs: pages } : {}),
    ...(firstError ? { firstError } : {}),
  };
}

function summarise(name: string, r: LoadResult, processes: number, limit?: number, latencies = r.latenciesMs, cost: Partial<Scenario> = {}): Scenario {
  const sorted = [...latencies].sort((a, b) => a - b);
  const perCore = r.requests / r.seconds / processes;
  return {
    name,
    per_core_rps: round(perCore),
    p50_ms: round(pct(sorted, 50)),
    p95_ms: round(pct(sorted, 95)),
    p99_ms: round(pct(sorted, 99)),
    ...(limit ? { limit_per_core_rps: round(limit), ratio_to_limit: round(perCore / limit, 2) } : {}),
    ...cost,
    errors: r.errors,
    ...(r.firstError ? { note: r.firstError } : {}),
  };
}

async function benchDatabase(kind: 'pglite' | 'postgres') {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-bench-'));
  const databaseUrl = kind === 'postgres' ? (process.env.DATABASE_URL ?? (await freshPostgresUrl())) : undefined;
  // One process for the listing: a client or account another process read first would be read again.
  const processes = kind === 'postgres' && !opts.statements ? CPUS : 1;
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
    ...PRODUCTION_DEFAULTS,
    // The listing is of each operation's statements: the outbox worker's polls, every 2 s, are none of them.
    ...(opts.statements ? { OUTBOX_POLL_MS: '3600000' } : {}),
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
  // The same app registered with ES256 ID tokens (`--id-token-alg ES256`): a refresh signs one.
  const appEs256 = await createClient(services.provider(), { name: 'Bench app ES256', redirectUris: [redirectUri], firstParty: true, idTokenAlg: 'ES256' });
  const machine = await createClient(services.provider(), { name: 'Bench machine', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
  await db.destroy();

  const argon2Cost = await argon2Verify(config, quick ? 1 : 3);
  const ceiling = argon2Cost.perSecond;
  const counter = databaseUrl ? await startWireCounter(databaseUrl, { record: opts.statements }) : undefined;
  const profiling: Record<string, string> = opts.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.join(PROFILE_DIR, kind)}` } : {};
  const server = await spawnProvider({ ...env, LOG_LEVEL: 'silent', ...profiling, ...(counter ? { DATABASE_URL: counter.url } : {}) });
  const base: Omit<LoadSpec, 'scenario' | 'connections'> = {
    urls: [issuer],
    issuer,
    seconds: SECONDS,
    client: { id: app.client_id, secret: app.client_secret!, redirectUri },
    machine: { id: machine.client_id, secret: machine.client_secret! },
    api: API,
    users,
  };
  // Tokens for refresh and userinfo come from real logins, one independent refresh chain per connection.
  const es256 = { ...base, client: { id: appEs256.client_id, secret: appEs256.client_secret!, redirectUri } };
  const granted = async (spec = base) => {
    const tokens = [];
    for (let i = 0; i < 16; i++) tokens.push(await login(issuer, spec, users[i]!, { scope: 'openid offline_access', prompt: 'consent' }));
    return tokens;
  };
  if (opts.statements) {
    try {
      for (const [name, statements] of Object.entries(await listStatements(counter!, base)))
        console.log(`${name}: ${statements.length} statements\n${statements.map((t) => `  ${t.replace(/\s+/g, ' ').trim().slice(0, 150)}`).join('\n')}`);
    } finally {
      await server.stop();
      await counter?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    return { db: kind, processes, argon2_verify_per_core_rps: round(ceiling), argon2_verify_cpu_ms: round(argon2Cost.cpuMs, 2), scenarios: [] };
  }
  const costs = await meter(server.child.pid!, counter);
  // A refresh token is spent once: the warm-up and each window get their own from `tokens`.
  const measured = async (spec: LoadSpec, tokens?: () => Promise<string[]>, m = costs) => {
    const withTokens = async (s: LoadSpec): Promise<LoadSpec> => (tokens ? { ...s, tokens: await tokens() } : s);
    await load(await withTokens({ ...spec, seconds: WARMUP_SECONDS }));
    const windows = [];
    for (let i = 0; i < WINDOWS; i++) {
      const run = await withTokens({ ...spec, seconds: spec.seconds / WINDOWS });
      const before = m.read();
      const result = await load(run);
      windows.push({ result, cost: m.perOp(before, m.read(), result.requests) });
    }
    const byCpu = windows.toSorted((a, b) => (a.cost.provider_cpu_ms_per_op ?? 0) - (b.cost.provider_cpu_ms_per_op ?? 0));
    return { result: together(windows.map((w) => w.result)), cost: byCpu[Math.floor(WINDOWS / 2)]!.cost };
  };
  const one = (name: ScenarioName, scenario: LoadSpec['scenario'], tokens?: () => Promise<string[]>, spec = base) => ({
    name,
    run: async () => {
      const { result, cost } = await measured({ ...spec, scenario, connections: 16 }, tokens);
      return [summarise(name, result, CPUS, undefined, result.latenciesMs, cost)];
    },
  });
  const table: { name: ScenarioName; run(): Promise<Scenario[]> }[] = [
    {
      name: 'password_login',
      run: async () => {
        // A login costs one argon2id verification: enough connections to keep every core's hashing busy.
        const { result, cost } = await measured({ ...base, scenario: 'login', connections: 4 * processes });
        return [
          summarise('password_login', result, CPUS, ceiling, result.latenciesMs, {
            ...cost,
            provider_cpu_ms_per_op_besides_argon2: round((cost.provider_cpu_ms_per_op ?? NaN) - argon2Cost.cpuMs, 2),
          }),
          summarise('login_page_under_login_load', { ...result, requests: result.loginPageMs?.length ?? 0 }, CPUS, undefined, result.loginPageMs),
        ];
      },
    },
    one('client_credentials', 'client_credentials'),
    // The same grant for an API in RESOURCE_SERVERS: a signed JWT, no database write.
    one('client_credentials_jwt', 'client_credentials_jwt'),
    one('refresh_token', 'refresh', async () => (await granted()).map((t) => t.refresh_token!)),
    one('refresh_token_es256', 'refresh', async () => (await granted(es256)).map((t) => t.refresh_token!), es256),
    {
      name: 'refresh_floor',
      run: async () => {
        // PostgreSQL only: the floor is node:http and pg. Its tokens are stored at its start, 16 for each window.
        if (!databaseUrl) return [];
        const tokens = Array.from({ length: 16 * (WINDOWS + 1) }, () => randomBytes(32).toString('base64url'));
        const floorPort = await freePort();
        const floor = await startRefreshFloor({ databaseUrl, port: floorPort, authorization: basic(app.client_id, app.client_secret!), tokens });
        try {
          const floorSpec = { ...base, urls: [floor.url], scenario: 'refresh' as const, connections: 16 };
          let next = 0;
          const { result, cost } = await measured(floorSpec, async () => tokens.slice(16 * next, 16 * ++next), await meter(floor.pid, undefined));
          return [summarise('refresh_floor', result, CPUS, undefined, result.latenciesMs, cost)];
        } finally {
          await floor.stop();
        }
      },
    },
    one('userinfo', 'userinfo', async () => (await granted()).map((t) => t.access_token)),
    one('discovery_jwks', 'discovery_jwks'),
  ];
  const scenarios: Scenario[] = [];
  let steps: StepCost[] | undefined;
  let soak: { seconds: number; rss_after_warmup_mib: number; rss_after_soak_mib: number; growth: number } | undefined;
  try {
    if (chosen('login_steps')) steps = await loginSteps(costs.read, base, quick ? 30 : 200);
    for (const s of table) if (chosen(s.name)) scenarios.push(...(await s.run()));
    if (!only) {
      // The login scenario above was the warm-up; the soak is the same load for longer.
      const warm = treeRssMiB(server.child.pid!);
      await load({ ...base, seconds: SOAK_SECONDS, scenario: 'login', connections: 4 * processes });
      const after = treeRssMiB(server.child.pid!);
      soak = { seconds: SOAK_SECONDS, rss_after_warmup_mib: round(warm), rss_after_soak_mib: round(after), growth: round(after / warm - 1, 3) };
    }
    if (chosen(NOT_NICED)) {
      // The same login load on the same data, served by a provider whose hashing threads keep the event loop's
      // priority (ARGON2_NICE=0): what the login page's latency owes to the niced pool. It takes the first one's
      // place, since an embedded database has one owner.
      await server.stop();
      const plain = await spawnProvider({ ...env, ARGON2_NICE: '0', LOG_LEVEL: 'silent', ...(counter ? { DATABASE_URL: counter.url } : {}) });
      try {
        await settled(plain.child.pid!);
        const spec: LoadSpec = { ...base, scenario: 'login', connections: 4 * processes };
        await load({ ...spec, seconds: WARMUP_SECONDS });
        const result = await load(spec);
        scenarios.push(
          summarise(NOT_NICED, result, CPUS, ceiling),
          summarise('login_page_under_that_load', { ...result, requests: result.loginPageMs?.length ?? 0 }, CPUS, undefined, result.loginPageMs),
        );
      } finally {
        await plain.stop();
      }
    }
  } finally {
    await server.stop();
    await counter?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    db: kind,
    processes,
    argon2_verify_per_core_rps: round(ceiling),
    argon2_verify_cpu_ms: round(argon2Cost.cpuMs, 2),
    scenarios,
    ...(steps ? { login_steps: steps } : {}),
    ...(soak ? { login_soak: soak } : {}),
  };
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

const kinds = (opts.statements ? ['postgres'] : opts.db ? [opts.db] : ['pglite', 'postgres']) as ('pglite' | 'postgres')[];
const machine = await machineInfo();
if (opts.profile) mkdirSync(PROFILE_DIR, { recursive: true });
const runs = [];
for (const kind of kinds) runs.push(await benchDatabase(kind));
const eid =
  opts.profile || opts.only || opts.statements ? undefined : await benchEidValidation({ seconds: quick ? 1.5 : SECONDS, limitSeconds: quick ? 0.5 : 3 });

const results = {
  machine: { ...machine, db: kinds.join('+') },
  quick,
  seconds_per_scenario: SECONDS,
  scenarios: [
    ...runs.flatMap((r) =>
      r.scenarios.map((s) => {
        // The floor is one process of its own, whatever the provider's count.
        const n = s.name === 'refresh_floor' ? 1 : r.processes;
        return { ...s, name: `${s.name} (${r.db}, ${n} process${n > 1 ? 'es' : ''})` };
      }),
    ),
    // One process, one core: no division by the machine's cores.
    ...(eid ? [summarise('eID token validation (chain + cached OCSP + signature)', eid.validation, 1, eid.verifyPerSecond)] : []),
  ],
  login_steps: Object.fromEntries(runs.filter((r) => r.login_steps).map((r) => [r.db, r.login_steps])),
  login_soak: Object.fromEntries(runs.filter((r) => r.login_soak).map((r) => [r.db, r.login_soak])),
};
if (!opts.profile && !opts.only && !opts.statements) writeFileSync('bench-results.json', JSON.stringify(results, null, 2) + '\n');

console.log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gib} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}`);
for (const r of runs)
  console.log(
    `${r.db}: argon2id verify ceiling ${r.argon2_verify_per_core_rps}/s per core (the limit of password_login), ${r.argon2_verify_cpu_ms} CPU ms each`,
  );
if (eid)
  console.log(
    `eID: ${eid.algorithm} signature verify ceiling ${round(eid.verifyPerSecond)}/s on one core (crypto.verify of the token's signature; the limit of eID token validation, ratio = validations/s ÷ raw verifies/s)`,
  );
console.log('| scenario | per core /s | p50 ms | p95 ms | p99 ms | limit /s/core | ratio | CPU ms/op | queries/op | errors |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of results.scenarios) {
  const cells = [s.per_core_rps, s.p50_ms, s.p95_ms, s.p99_ms, s.limit_per_core_rps, s.ratio_to_limit, s.provider_cpu_ms_per_op, s.db_queries_per_op];
  console.log(`| ${s.name} | ${cells.map((c) => c ?? '').join(' | ')} | ${s.errors}${s.note ? ` (${s.note})` : ''} |`);
}
for (const s of results.scenarios) {
  if ('provider_cpu_ms_per_op_besides_argon2' in s)
    console.log(
      `${s.name}: ${s.provider_cpu_ms_per_op_besides_argon2} CPU ms per login besides its argon2id verification; by thread, ${s.provider_pool_cpu_ms_per_op} ms on the thread pool (argon2id, WebCrypto) and ${round(s.provider_cpu_ms_per_op! - s.provider_pool_cpu_ms_per_op!, 2)} ms on the event loop and V8's threads`,
    );
}
for (const r of runs) {
  const [refresh, floor] = ['refresh_token', 'refresh_floor'].map((n) => r.scenarios.find((s) => s.name === n)?.provider_cpu_ms_per_op);
  if (refresh && floor)
    console.log(
      `${r.db}: a refresh costs the provider ${round(refresh / floor, 2)} × the floor (${floor} CPU ms: node:http, pg, the same two statements and RS256 signature, nothing between)`,
    );
}
for (const r of runs) {
  if (!r.login_steps) continue;
  console.log(`${r.db}: one login after another, CPU ms and statements per request`);
  console.log('| request | event loop and V8 | thread pool | statements |\n| --- | ---: | ---: | ---: |');
  for (const s of r.login_steps) console.log(`| ${s.step} | ${s.cpu_ms} | ${s.pool_cpu_ms} | ${s.statements ?? ''} |`);
}
for (const r of runs) {
  if (r.login_soak)
    console.log(
      `${r.db}: ${r.login_soak.seconds} s login soak, provider RSS ${r.login_soak.rss_after_warmup_mib} → ${r.login_soak.rss_after_soak_mib} MiB (${round(r.login_soak.growth * 100)} %)`,
    );
}
console.log("per core = requests per second divided by the machine's cores (the load generator shares them); eID validation runs in-process on one core.");
console.log(
  'CPU ms/op = user+system CPU of the provider processes per operation (a login: every request from /auth to the code exchange), idle cost removed; queries/op = statements sent to PostgreSQL, counted on the wire.',
);
if (opts.profile) console.log(`CPU profiles of the provider's processes (open in Chrome DevTools): ${PROFILE_DIR}`);
