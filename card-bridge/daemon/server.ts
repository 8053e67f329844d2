// The daemon behind `eid-bridge serve`, on 127.0.0.1 only. API for the provider's pages (Origin on the
// allow-list, CORS):
//   GET    /status              → 200 Status (see ../status.ts)
//   POST   /authenticate        {nonce, origin?, pinSource?, algorithm?} → 202 OperationView
//   GET    /operations/:id      → 200 OperationView; the token is handed out once
//   DELETE /operations/:id      → 204, the operation fails with `cancelled`
// and for the citizen, in a window the provider's page opens at `pinUrl`:
//   GET    /pin/:id             → the PIN form;  POST /pin/:id (form: csrf, pin; same origin) → the outcome
// Refusals answer {error, message} with 4xx; an operation's own failure is its state "failed" with the same fields.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { authenticate, type Identity } from '../card.ts';
import { BridgeError, type BridgeErrorJson } from '../errors.ts';
import { toBridgeError } from '../pkcs11/errors.ts';
import type { Pkcs11Module } from '../pkcs11/module.ts';
import { findEid } from '../pkcs11/slots.ts';
import type { PinPrompt } from '../pin-prompt.ts';
import { status } from '../status.ts';
import { WEB_EID_ALGORITHMS, type WebEidAuthToken } from '../web-eid.ts';
import { allowedOrigin, checkHost, checkSameOrigin, corsHeaders, preflightHeaders } from './guard.ts';
import { parse, readBody, sendJson } from './http.ts';
import { Operations, type Operation, type OperationState, type PinSource } from './operations.ts';
import { outcomePage, PAGE_HEADERS, pinForm } from './pin-page.ts';

export interface DaemonOptions {
  port: number;
  allowedOrigins: readonly string[];
  operationTimeoutSeconds: number;
  module: Pkcs11Module;
  /** Set when the daemon runs with --pin-from-terminal: PINs are then asked there. */
  terminal?: PinPrompt | undefined;
  /** Never given a PIN, a request body or a token. */
  log(line: string): void;
}

export interface Daemon {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface OperationView {
  operationId: string;
  state: OperationState;
  pinSource: PinSource;
  expiresAt: string;
  /** While pin_required with pinSource "page": where the citizen types the PIN. */
  pinUrl?: string;
  /** While pin_required after a wrong PIN on the page. */
  lastError?: BridgeErrorJson;
  /** When done. */
  authToken?: WebEidAuthToken;
  identity?: Identity;
  caCertificates?: string[];
  /** When failed: the reason, as BridgeErrorJson. */
  error?: BridgeErrorJson['error'];
  message?: string;
  triesLeft?: number;
}

const authenticateSchema = z.strictObject({
  // Web eID nonces are base64 of at least 32 random bytes.
  nonce: z.string().min(44).max(512).regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'expected a base64 nonce'),
  origin: z.string().optional(),
  pinSource: z.enum(['page', 'pinpad', 'terminal']).optional(),
  algorithm: z.enum(WEB_EID_ALGORITHMS).optional(),
});

const pinFormSchema = z.object({ csrf: z.string().max(64), pin: z.string().max(64) });

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
// Operation ids are capabilities: logs show a prefix only.
const short = (id: string) => id.slice(0, 6);
const redactPath = (path: string) => path.replace(/^\/(pin|operations)\/.*/, '/$1/…');

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const ops = new Operations(o.operationTimeoutSeconds * 1000);
  let port = o.port;
  const pinUrl = (op: Operation) => `http://127.0.0.1:${port}/pin/${op.id}`;

  function view(op: Operation): OperationView {
    const base = { operationId: op.id, state: op.state, pinSource: op.pinSource, expiresAt: op.expiresAt.toISOString() };
    if (op.state === 'done' && op.result) return { ...base, authToken: op.result.authToken, identity: op.result.identity, caCertificates: op.result.caCertificates };
    if (op.state === 'failed' && op.error) return { ...base, ...op.error.toJSON() };
    return { ...base, ...(op.pinSource === 'page' ? { pinUrl: pinUrl(op) } : {}), ...(op.lastError ? { lastError: op.lastError.toJSON() } : {}) };
  }

  function run(op: Operation, pin: string | null): void {
    ops.run(op, pin, (p) => authenticate(o.module.api, findEid(o.module.api).handle, { pin: p, origin: op.origin, nonce: op.nonce, algorithm: op.algorithm }));
    const reason = op.error ?? op.lastError;
    o.log(`operation ${short(op.id)}: ${op.state}${reason ? ` (${reason.code})` : ''}`);
  }

  async function pinFromReaderOrTerminal(op: Operation): Promise<void> {
    let pin: string | null = null;
    if (op.pinSource === 'terminal') {
      try {
        pin = await o.terminal!.ask(`${op.origin} asks to identify you with your eID. PIN (input hidden): `, op.abort.signal);
      } catch (e) {
        ops.fail(op, toBridgeError(e));
        return;
      }
    } else {
      o.log(`operation ${short(op.id)}: type the PIN on the card reader's PIN pad`);
    }
    run(op, pin);
  }

  async function startAuthentication(req: IncomingMessage, res: ServerResponse, origin: string, cors: OutgoingHttpHeaders): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req, 'application/json'));
    } catch (e) {
      throw e instanceof BridgeError ? e : new BridgeError('bad_request', 'The body is not JSON');
    }
    const body = parse(authenticateSchema, json);
    if (body.origin !== undefined && body.origin !== origin) throw new BridgeError('bad_request', 'origin must be the Origin of the page that asks');
    const slot = findEid(o.module.api);
    const pinSource = body.pinSource ?? (o.terminal ? 'terminal' : slot.pinPad ? 'pinpad' : 'page');
    if (pinSource === 'pinpad' && !slot.pinPad) throw new BridgeError('no_pinpad', 'The card reader has no PIN pad: type the PIN on the bridge\'s page');
    if (pinSource === 'terminal' && !o.terminal) throw new BridgeError('bad_request', 'PIN entry in the terminal needs `eid-bridge serve --pin-from-terminal`');
    const op = ops.start({ origin, nonce: body.nonce, algorithm: body.algorithm, pinSource });
    o.log(`operation ${short(op.id)}: ${origin} asks to authenticate, PIN via ${pinSource}`);
    sendJson(res, 202, view(op), { ...cors, location: `/operations/${op.id}` });
    // After the answer is out: a PIN pad login blocks this thread until the citizen has typed the PIN.
    if (pinSource !== 'page') setImmediate(() => void pinFromReaderOrTerminal(op));
  }

  function operation(req: IncomingMessage, res: ServerResponse, id: string, origin: string, cors: OutgoingHttpHeaders): void {
    const op = ops.get(id);
    // Another allowed origin learns nothing about this operation, not even that it exists.
    if (!op || op.origin !== origin) throw new BridgeError('not_found', 'No such operation: it ended or never existed; start again');
    if (req.method === 'DELETE') {
      ops.fail(op, new BridgeError('cancelled', 'Cancelled by the page'));
      return sendJson(res, 204, undefined, cors);
    }
    sendJson(res, 200, view(op), cors);
    ops.delivered(op);
  }

  async function pinPage(req: IncomingMessage, res: ServerResponse, host: string, id: string): Promise<void> {
    const send = (statusCode: number, html: string) => void res.writeHead(statusCode, PAGE_HEADERS).end(html);
    const op = ops.get(id);
    if (!op || op.pinSource !== 'page') return send(404, outcomePage('Request not found', 'This eID request does not exist or has ended: start again from the website.'));
    let statusCode = 200;
    if (req.method === 'POST') {
      try {
        checkSameOrigin(req, host);
      } catch (e) {
        return send(403, outcomePage('Refused', (e as Error).message));
      }
      const form = pinFormSchema.safeParse(Object.fromEntries(new URLSearchParams(await readBody(req, 'application/x-www-form-urlencoded'))));
      if (!form.success || !sameSecret(form.data.csrf, op.csrf)) return send(403, outcomePage('Refused', 'This form is not valid any more: start again from the website.'));
      run(op, form.data.pin);
      statusCode = op.lastError?.status ?? 200;
    } else if (req.method !== 'GET') {
      return send(404, outcomePage('Not found', 'Nothing here.'));
    }
    if (op.state === 'pin_required') return send(statusCode, pinForm({ origin: op.origin, csrf: op.csrf, error: op.lastError?.message }));
    if (op.state === 'done') return send(200, outcomePage('Identified', `You are identified to ${op.origin}. You can close this window and go back to the website.`));
    send(op.error?.status ?? 500, outcomePage('Not identified', op.error?.message ?? 'The eID operation failed: start again from the website.'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let cors: OutgoingHttpHeaders = {};
    try {
      const host = checkHost(req, port);
      const pin = /^\/pin\/([\w-]+)$/.exec(path);
      if (pin) return await pinPage(req, res, host, pin[1]!);
      const origin = allowedOrigin(req, o.allowedOrigins);
      cors = corsHeaders(origin);
      if (req.method === 'OPTIONS') return void res.writeHead(204, preflightHeaders(req, origin)).end();
      if (path === '/status' && req.method === 'GET') return sendJson(res, 200, status(o.module), cors);
      if (path === '/authenticate' && req.method === 'POST') return await startAuthentication(req, res, origin, cors);
      const op = /^\/operations\/([\w-]+)$/.exec(path);
      if (op && (req.method === 'GET' || req.method === 'DELETE')) return operation(req, res, op[1]!, origin, cors);
      throw new BridgeError('not_found', `No such route: ${req.method} ${redactPath(path)}`);
    } catch (e) {
      const error = toBridgeError(e);
      o.log(`refused ${req.method} ${redactPath(path)}: ${error.code}${error.code === 'internal' ? ` ${(error.cause as Error | undefined)?.stack}` : ''}`);
      if (!res.headersSent) sendJson(res, error.status, error.toJSON(), cors);
    }
  }

  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new BridgeError('busy', `Port ${o.port} is in use: is another eid-bridge running? (EID_BRIDGE_PORT)`, { cause: e }) : e),
    );
    server.listen(o.port, '127.0.0.1', resolve);
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      ops.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
