// Delivers the outbox. Any number of workers, in any number of processes, may share one PostgreSQL: a worker
// claims due rows with FOR UPDATE SKIP LOCKED and takes a lease on them (locked_until), so each row is sent by
// one worker only; a row whose worker died is taken over once its lease runs out. Failures are retried with
// exponential back-off until `maxAttempts`, then the row is marked failed. Each attempt counts when the row is
// claimed, so a message that crashes its process is not retried for ever: a lease that ran out on the last attempt
// marks the row failed. A worker records its outcome only while it still holds the lease (locked_until is the
// lease's token), so a worker that outlived its lease cannot undo what the one that took over recorded. A worker
// claims only the channels it has a transport for (`idp mail test` sends mail, and leaves logout tokens alone).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/knex.ts';
import { log as defaultLog } from '../../platform/log.ts';
import { toMessage, type OutboxMessage } from './outbox.ts';
import { DeliveryError, type ChannelTransports, type Logger } from './transport.ts';
import { outboxFailed } from '../../platform/metrics/counters.ts';

export interface OutboxWorkerOptions {
  db: Db;
  transports: ChannelTransports;
  now?: () => Date;
  pollMs: number;
  maxAttempts: number;
  /** Wait before retry n (n = 1, 2, …) is baseMs · 2^(n−1), at most maxMs. */
  backoff: { baseMs: number; maxMs: number };
  /** How long a claimed row stays reserved for its worker; longer than one attempt can take. */
  leaseMs?: number;
  /** Rows claimed, and sent in parallel, per round. */
  batchSize?: number;
  log?: Logger;
}

export interface OutboxWorker {
  /** Polls every `pollMs` (at once again after a full batch) until stop(). */
  start(): void;
  /** Ends polling; resolves when the round in progress has finished. */
  stop(): Promise<void>;
  /** One round: claims due rows, sends them, records the outcome. Returns how many rows it claimed. */
  runOnce(): Promise<number>;
  /** Rounds until nothing is due (rows waiting for a later retry are not due). Returns how many rows it claimed. */
  drain(): Promise<number>;
}

const MAX_ERROR_LENGTH = 500;

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, transports, pollMs, maxAttempts, backoff } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 120_000;
  const batchSize = options.batchSize ?? 10;
  const logger = options.log ?? defaultLog;
  const channels = Object.keys(transports);

  async function claim(): Promise<OutboxMessage[]> {
    const at = now();
    const abandoned = await db('outbox')
      .whereIn('channel', channels)
      .andWhere('status', 'sending')
      .andWhere('locked_until', '<', at)
      .andWhere('attempts', '>=', maxAttempts)
      .update({ status: 'failed', locked_until: null, last_error: `no outcome after ${maxAttempts} attempts (the worker stopped holding the message)` })
      .returning('*');
    for (const m of (abandoned as Record<string, unknown>[]).map(toMessage)) {
      outboxFailed.inc({ channel: m.channel });
      await transports[m.channel]?.settled?.(m, 'failed', m.lastError ?? undefined);
    }
    const due = db('outbox')
      .select('id')
      .whereIn('channel', channels)
      .andWhere((q) =>
        q
          .where((p) => p.where('status', 'pending').andWhere('next_attempt_at', '<=', at))
          .orWhere((p) => p.where('status', 'sending').andWhere('locked_until', '<', at)),
      )
      .orderBy('next_attempt_at')
      .limit(batchSize)
      .forUpdate()
      .skipLocked();
    const rows = await db('outbox')
      .whereIn('id', due)
      .update({ status: 'sending', locked_until: new Date(at.getTime() + leaseMs), attempts: db.raw('attempts + 1') })
      .returning('*');
    return (rows as Record<string, unknown>[]).map(toMessage);
  }

  /** The row, as long as this worker's lease on it holds. */
  const leased = (m: OutboxMessage) => db('outbox').where({ id: m.id, status: 'sending', locked_until: m.lockedUntil });

  async function deliver(m: OutboxMessage): Promise<void> {
    const transport = transports[m.channel]!;
    try {
      await transport.send(m);
    } catch (e) {
      const permanent = e instanceof DeliveryError && e.permanent;
      const failed = permanent || m.attempts >= maxAttempts;
      const error = (e instanceof Error ? e.message : String(e)).slice(0, MAX_ERROR_LENGTH);
      const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (m.attempts - 1));
      await leased(m).update({
        status: failed ? 'failed' : 'pending',
        locked_until: null,
        last_error: error,
        next_attempt_at: new Date(now().getTime() + wait),
      });
      const fields = { id: m.id, channel: m.channel, attempt: m.attempts, error, reference: m.reference };
      if (failed) {
        outboxFailed.inc({ channel: m.channel });
        logger.error('message delivery failed for good', fields);
      } else logger.warn('message delivery failed, will retry', { ...fields, retryInMs: wait });
      await transport.settled?.(m, failed ? 'failed' : 'retry', error);
      return;
    }
    const recorded = await leased(m).update({ status: 'sent', sent_at: now(), locked_until: null, last_error: null, transport: transport.name });
    if (!recorded)
      logger.warn('message sent after its lease ran out; another worker may send it too', { id: m.id, channel: m.channel, reference: m.reference });
    await transport.settled?.(m, 'sent');
  }

  async function runOnce(): Promise<number> {
    const claimed = await claim();
    // Every delivery finishes before the round ends, even when recording one of them failed.
    const failure = (await Promise.allSettled(claimed.map(deliver))).find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    return claimed.length;
  }

  let loop: Promise<void> | undefined;
  let stopper: AbortController | undefined;

  return {
    runOnce,
    async drain() {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    start() {
      if (loop) return;
      const stop = (stopper = new AbortController());
      loop = (async () => {
        while (!stop.signal.aborted) {
          let claimed = 0;
          try {
            claimed = await runOnce();
          } catch (e) {
            // The database may be briefly unreachable; the next round tries again.
            logger.error('outbox worker round failed', e as Error);
          }
          if (claimed < batchSize) await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => {});
        }
      })();
    },
    async stop() {
      stopper?.abort();
      await loop;
      loop = undefined;
    },
  };
}
