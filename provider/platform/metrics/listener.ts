// The metrics listener: its own port on loopback by default, so that the series are not served to the public on the
// provider's port. In a cluster the primary answers, adding up what each worker reports over IPC.
import http from 'node:http';
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, collectDefaultMetrics, Gauge, register } from 'prom-client';
import type { Knex } from 'knex';
import { listen } from '../listen.ts';

/**
 * Once in every serving process (`idp start`): Node.js's default series, and gauges read from the database at scrape
 * time. The outbox is one table for all processes, so the cluster keeps one worker's reading of it, not the sum.
 */
export function collectProcessMetrics(db: Knex, outboxPending: () => Promise<{ channel: string; count: number }[]>): void {
  collectDefaultMetrics();
  new Gauge({
    name: 'belid_outbox_pending',
    help: 'Mails, SMS and logout tokens waiting in the outbox, by channel',
    labelNames: ['channel'] as const,
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const r of await outboxPending()) this.set({ channel: r.channel }, r.count);
    },
  });
  // tarn's pool behind knex; the embedded database has none and reports 0.
  const pool = () => (db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  const poolGauge = (name: string, help: string, read: (p: NonNullable<ReturnType<typeof pool>>) => number) =>
    new Gauge({
      name,
      help,
      collect() {
        const p = pool();
        this.set(p ? read(p) : 0);
      },
    });
  poolGauge('belid_db_pool_used', 'Database connections in use', (p) => p.numUsed());
  poolGauge('belid_db_pool_free', 'Idle database connections in the pool', (p) => p.numFree());
  poolGauge('belid_db_pool_pending', 'Queries waiting for a database connection', (p) => p.numPendingAcquires());
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** In the single process, or in a cluster's primary (which then asks its workers). */
export async function serveMetrics(opts: { host: string; port: number }): Promise<MetricsListener> {
  const aggregator = cluster.isPrimary && cluster.workers && Object.keys(cluster.workers).length > 0 ? new AggregatorRegistry() : undefined;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://metrics').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    (aggregator ? aggregator.clusterMetrics() : register.metrics()).then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${e.message}\n`),
    );
  });
  await listen(server, opts.port, opts.host, { setting: 'METRICS_PORT', advice: 'set another METRICS_PORT, or 0 to turn the metrics listener off' });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A worker answers its primary's requests for its series. */
export function reportToPrimary(): void {
  if (cluster.isWorker) new AggregatorRegistry();
}
