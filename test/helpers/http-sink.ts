// A tiny real HTTP server on a free 127.0.0.1 port standing in for an SMS gateway (or any webhook target):
// it records every request and answers 200 {"ok":true}, unless told to fail or to be down.
//
//   const gateway = await startHttpSink();       // SMS_GATEWAY_URL = gateway.url + '/sms'
//   gateway.failNext(2, 503);                     // the next two requests get 503
//   const req = await gateway.waitFor((r) => r.json?.to === '+32490123456');
//   await gateway.stop();
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './wait.ts';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/sms?x=1". */
  path: string;
  /** Lower-case names, as Node gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** The status the sink answered with. */
  status: number;
}

export interface HttpSink {
  readonly url: string;
  readonly port: number;
  /** Every request received, failed ones included, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Answers the next `count` requests with `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** Holds every answer back by `ms`, to let a client's timeout fire; 0 answers at once again. */
  delay(ms: number): void;
  /** The first recorded request matching `predicate` (any without one), waiting up to `timeoutMs`. */
  waitFor(predicate?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Stops listening: connections are refused until up(). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  clear(): void;
  stop(): Promise<void>;
}

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

export async function startHttpSink(): Promise<HttpSink> {
  const requests: RecordedRequest[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let delayMs = 0;
  let port = 0;

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const failing = failures.count > 0;
      if (failing) failures.count--;
      const status = failing ? failures.status : 200;
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: parseJson(body), status });
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(failing ? { error: 'unavailable' } : { ok: true }));
      }, delayMs).unref();
    });
  };

  let server: http.Server | undefined;
  const listen = async () => {
    const s = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    delay(ms) {
      delayMs = ms;
    },
    waitFor: (predicate = () => true, timeoutMs = 5000) => waitUntil(() => requests.find(predicate), timeoutMs, 'a request to the HTTP sink'),
    down: close,
    up: async () => {
      if (!server) await listen();
    },
    clear() {
      requests.length = 0;
    },
    stop: close,
  };
}
