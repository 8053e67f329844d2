// `idp start`: serve, on one process or WORKERS processes of a Node cluster. On the embedded database the serving
// process owns DATA_DIR (lock) and answers the other `idp` commands on its admin socket.
import cluster from 'node:cluster';
import path from 'node:path';
import type { Config } from '../settings.ts';
import { createDb, type Db } from '../../platform/db/knex.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { lockDataDir } from '../../platform/db/data-dir-lock.ts';
import { startServer } from '../server.ts';
import { log } from '../../platform/log.ts';
import { serveAdminSocket, type RunRemote } from './admin-socket.ts';
import type { Io } from './io.ts';
import { pendingByChannel } from '../../domain/messaging/outbox.ts';
import { collectProcessMetrics, reportToPrimary, serveMetrics } from '../../platform/metrics/listener.ts';
import { stopWithParent } from './parent-gone.ts';
import { SELF_CLIENT_ID } from '../../oidc/self-client.ts';
import { listClients } from '../../oidc/clients.ts';

/** WORKERS processes share the port; the database holds all state, so any of them can serve any request. */
async function startCluster(config: Config, io: Io) {
  // Migrate once before forking, so that workers start on an up-to-date schema.
  const db = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db, config.databaseUrl);
  const counts = await contents(db);
  await db.destroy();
  // A worker that ends before every one listens could not start (a port in use): each new one would fail the same way.
  let listening = 0;
  let started = false;
  const ready = new Promise<void>((resolve, reject) => {
    cluster.on('listening', () => ++listening === config.workers && resolve());
    cluster.on('exit', () => started || reject(new Error('a provider process could not start (its reason is above), so none serves')));
  });
  // Its failure is awaited below, unless the metrics listener failed first.
  ready.catch(() => undefined);
  for (let i = 0; i < config.workers; i++) cluster.fork();
  // The primary serves no requests: it answers the metrics listener with what its workers report.
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  let stopping = false;
  const stop = () => {
    stopping = true;
    void metrics?.close();
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
  };
  try {
    metrics = config.metricsPort ? await serveMetrics({ host: config.metricsHost, port: config.metricsPort }) : undefined;
    await ready;
  } catch (e) {
    stop();
    throw e;
  }
  started = true;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    log.warn('worker exited; starting another', { pid: worker.process.pid, code });
    cluster.fork();
  });
  log.info('provider cluster', { workers: config.workers, issuer: config.issuerUrl });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  stopWithParent(stop);
  // The workers log nothing of their own: the operator learns here, once every one of them listens, where to go.
  announce(io, config, counts, metrics?.url);
}

/** `run` executes a command inside this process, on its services (cli.ts). */
export async function start(config: Config, io: Io, run: (services: Awaited<ReturnType<typeof startServer>>['services']) => RunRemote): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) return startCluster(config, io);
  const embedded = !config.databaseUrl;
  // An `idp` command that has the folder open ends within seconds; another provider never does.
  const lock = embedded ? await lockDataDir(config.dataDir, { role: 'serve', what: `idp start, ${config.issuerUrl}` }, 30_000) : undefined;
  let running: Awaited<ReturnType<typeof startServer>> | undefined;
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  let admin: Awaited<ReturnType<typeof serveAdminSocket>> | undefined;
  try {
    const started = await startServer(config);
    running = started;
    collectProcessMetrics(started.services.db, () => pendingByChannel(started.services.db));
    if (cluster.isWorker) reportToPrimary();
    metrics = config.metricsPort && !cluster.isWorker ? await serveMetrics({ host: config.metricsHost, port: config.metricsPort }) : undefined;
    admin = embedded ? await serveAdminSocket(config.dataDir, run(running.services)) : undefined;
  } catch (e) {
    // A start that fails (a port in use) gives back what it took, so that the process ends after saying why.
    await metrics?.close();
    await running?.close();
    lock?.release();
    // A worker's channel to the primary would keep it alive after saying why: the primary learns of the failure by its end.
    if (cluster.isWorker) process.disconnect?.();
    throw e;
  }
  const stop = async () => {
    await metrics?.close();
    await admin?.close();
    await running.close();
    lock?.release();
    process.exit(0);
  };
  if (cluster.isWorker) {
    process.once('SIGTERM', stop);
    return;
  }
  const { db } = running.services;
  log.info('provider listening', {
    url: running.url,
    issuer: config.issuerUrl,
    database: embedded ? `embedded (${config.dataDir})` : 'postgresql',
    metrics: metrics?.url ?? 'off',
  });
  announce(io, config, await contents(db), metrics?.url);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  stopWithParent(stop);
}

/** How many accounts and relying apps there are (the account pages' own client is no relying app of the operator's). */
async function contents(db: Db): Promise<{ people: number; clients: number }> {
  const [accounts, apps] = await Promise.all([db('users').count({ n: '*' }).first(), listClients(db)]);
  return { people: Number(accounts?.n ?? 0), clients: apps.filter((c) => c.client_id !== SELF_CLIENT_ID).length };
}

/** Where the provider is, and, on a database without accounts or apps, the first steps; a restart is told what it holds. */
function announce(io: Io, config: Config, { people, clients }: { people: number; clients: number }, metricsUrl: string | undefined): void {
  const where = config.issuerUrl;
  const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  // A command run without this DATA_DIR opens ./data, a database of its own, and its "Created user alice" is never
  // served here: the commands to copy name the folder unless it is the default one.
  const folder = path.resolve(config.dataDir);
  const idp =
    !config.databaseUrl && folder !== path.resolve('data')
      ? `DATA_DIR=${/^[\w@%+=:,./-]+$/.test(folder) ? folder : `'${folder.replace(/'/g, `'\\''`)}'`} npx idp`
      : 'npx idp';
  const firstSteps = [
    ...(people ? [] : [`    ${idp} users create --username alice --email alice@example.org --role admin`]),
    ...(clients ? [] : [`    ${idp} clients create --name "My app" --redirect-uri http://localhost:8080/callback --first-party`]),
  ];
  io.out(
    [
      '',
      `  Identity provider at ${where}  (discovery: ${where}/.well-known/openid-configuration)`,
      config.databaseUrl
        ? `  Database: PostgreSQL (DATABASE_URL)${config.workers > 1 ? `, served by ${config.workers} processes` : ''}`
        : `  Database: embedded PostgreSQL in ${config.dataDir} (idp commands run through this process while it serves)`,
      `  Metrics: ${metricsUrl ?? 'off (METRICS_PORT=0)'}; health: ${where}/healthz, readiness: ${where}/readyz`,
      '',
      ...(people || clients
        ? [`  In the database: ${plural(people, 'account')}, ${plural(clients, 'relying app')} (${idp} users list, ${idp} clients list)`]
        : []),
      // The commands of a shell without the provider's DATABASE_URL would open an embedded database of their own.
      ...(firstSteps.length ? [`  In another terminal${config.databaseUrl ? ', with the same DATABASE_URL' : ''}:`, ...firstSteps] : []),
      '',
    ].join('\n') + '\n',
  );
}
