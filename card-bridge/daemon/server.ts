// The daemon behind `eid-bridge serve`, on 127.0.0.1 only. API for the provider's pages (Origin on the
// allow-list, CORS):
//   GET    /status              → 200 Status (see ../status.ts)
//   POST   /authenticate        {nonce, origin?, pinSource?, algorithm?} → 202 OperationView
//   GET    /operations/:id      → 200 OperationView; the token is handed out once
//   DELETE /operations/:id      → 204, the operation fails with `cancelled`
// and for the citizen, in a window the provider's page opens at `pinUrl`:
//   GET    /pin/:id             → the choice of card (several in the readers), the PIN form, or the PIN pad notice
//   POST   /pin/:id             form csrf + card | pin | cancel, same origin → the next of those pages, or the outcome
// Refusals answer {error, message} with 4xx; an operation's own failure is its state "failed" with the same fields.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { authenticate, authenticateWith, insertedCards, slotOf, type Identity, type InsertedCard } from '../card.ts';
import { BridgeError, type BridgeErrorJson } from '../errors.ts';
import { toBridgeError } from '../pkcs11/errors.ts';
import type { Pkcs11Module } from '../pkcs11/module.ts';
import { loginInWorker, type OffThreadLogin } from '../pkcs11/pinpad-login.ts';
import type { PinPrompt } from '../pin-prompt.ts';
import { status, statusForPages } from '../status.ts';
import { WEB_EID_ALGORITHMS, type WebEidAuthToken } from '../web-eid.ts';
import { allowedOrigin, checkHost, checkSameOrigin, corsHeaders, preflightHeaders } from './guard.ts';
import { parse, readBody, sendJson } from './http.ts';
import { Operations, type Operation, type OperationState, type PinSource } from './operations.ts';
import { choiceForm, homePage, outcomePage, PAGE_HEADERS, pinForm, pinPadPage } from './pin-page.ts';
import { failureText, LANGUAGES, text, type Language } from './pin-texts.ts';

export interface DaemonOptions {
  port: number;
  /** Only these origins may ask; undefined: any https page, and http on loopback (see guard.ts). */
  allowedOrigins?: readonly string[] | undefined;
  operationTimeoutSeconds: number;
  /** How long an operation whose page was never opened keeps the card from other websites (operations.ts). */
  unopenedMs?: number | undefined;
  module: Pkcs11Module;
  /** Set when the daemon runs with --pin-from-terminal: PINs are then asked there. */
  terminal?: PinPrompt | undefined;
  /** How a PIN pad login is waited for without blocking the daemon; by default in a worker thread. */
  pinPadLogin?: OffThreadLogin | undefined;
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
  /** While pin_required, unless the PIN is asked in the terminal: the bridge's page for the citizen. */
  pinUrl?: string;
  /** While pin_required after a wrong PIN on the page. */
  lastError?: BridgeErrorJson;
  /** When done. */
  authToken?: WebEidAuthToken;
  /** What the token's certificate shows anyway, and the card number for the holder to compare (see `shared`). */
  identity?: SharedIdentity;
  caCertificates?: string[];
  /** When failed: the reason, as BridgeErrorJson. */
  error?: BridgeErrorJson['error'];
  message?: string;
  triesLeft?: number;
}

const authenticateSchema = z.strictObject({
  // Web eID nonces are base64 of at least 32 random bytes.
  nonce: z
    .string()
    .min(44)
    .max(512)
    .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'expected a base64 nonce'),
  origin: z.string().optional(),
  pinSource: z.enum(['page', 'pinpad', 'terminal']).optional(),
  algorithm: z.enum(WEB_EID_ALGORITHMS).optional(),
  /** The language of the asking page, for the bridge's own pages. */
  lang: z.enum(LANGUAGES).optional(),
});

const pinFormSchema = z.object({
  csrf: z.string().max(64),
  pin: z.string().max(64).optional(),
  card: z.string().max(40).optional(),
  cancel: z.literal('1').optional(),
  pinpad: z.literal('1').optional(),
});

/**
 * What a page learns of the holder: the certificate's name and number (in the token anyway) and the card number. Any
 * https page may ask, and its PIN page says only that it asks to identify the person: the card's other data objects
 * (address, birth, nationality, gender, chip number, photo hash) are not given to it.
 */
export type SharedIdentity = Omit<Identity, 'card'> & { card: Pick<Identity['card'], 'cardNumber'> };
const shared = ({ nationalNumber, surname, givenNames, card }: Identity): SharedIdentity => ({
  nationalNumber,
  surname,
  givenNames,
  card: card.cardNumber === undefined ? {} : { cardNumber: card.cardNumber },
});

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
// Operation ids are capabilities: logs show a prefix only.
const short = (id: string) => id.slice(0, 6);
const redactPath = (path: string) => path.replace(/^\/(pin|operations)\/.*/, '/$1/…');

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const ops = new Operations(o.operationTimeoutSeconds * 1000, o.unopenedMs);
  const pinPadLogin = o.pinPadLogin ?? loginInWorker(o.module.path);
  const { api } = o.module;
  let port = o.port;
  const pinUrl = (op: Operation) => `http://127.0.0.1:${port}/pin/${op.id}`;

  function view(op: Operation): OperationView {
    const base = { operationId: op.id, state: op.state, pinSource: op.pinSource, expiresAt: op.expiresAt.toISOString() };
    if (op.state === 'done' && op.result)
      return { ...base, authToken: op.result.authToken, identity: shared(op.result.identity), caCertificates: op.result.caCertificates };
    if (op.state === 'failed' && op.error) return { ...base, ...op.error.toJSON() };
    return { ...base, ...(op.pinSource === 'terminal' ? {} : { pinUrl: pinUrl(op) }), ...(op.lastError ? { lastError: op.lastError.toJSON() } : {}) };
  }

  function logged(op: Operation): void {
    const reason = op.error ?? op.lastError;
    o.log(`operation ${short(op.id)}: ${op.state}${reason ? ` (${reason.code})` : ''}`);
  }

  const request = (op: Operation) => ({ origin: op.origin, nonce: op.nonce, algorithm: op.algorithm, signal: op.abort.signal });

  /** The PIN typed on the bridge's page or in its terminal goes to the chosen card only. */
  async function runWithPin(op: Operation, pin: string): Promise<void> {
    await ops.run(op, () => authenticate(api, slotOf(api, op.card!), { ...request(op), pin }));
    logged(op);
  }

  async function runOnPinPad(op: Operation): Promise<void> {
    o.log(`operation ${short(op.id)}: type the PIN on the card reader's PIN pad`);
    await ops.run(op, () => authenticateWith(api, slotOf(api, op.card!), request(op), pinPadLogin));
    logged(op);
  }

  async function pinFromTerminal(op: Operation): Promise<void> {
    let pin: string;
    try {
      pin = await o.terminal!.ask(`${op.origin} asks to identify you with your eID. PIN (input hidden): `, op.abort.signal);
    } catch (e) {
      ops.fail(op, toBridgeError(e));
      return;
    }
    await runWithPin(op, pin);
  }

  /** Where the PIN is typed, and the card it goes to when that is already known (one card in the readers). */
  function plan(requested: PinSource | undefined, cards: InsertedCard[]): Pick<Operation, 'pinSource' | 'card'> {
    const only = cards.length === 1 ? cards[0] : undefined;
    if (requested === 'terminal' || (requested === undefined && o.terminal)) {
      if (!o.terminal) throw new BridgeError('bad_request', 'PIN entry in the terminal needs `eid-bridge serve --pin-from-terminal`');
      if (!only)
        throw new BridgeError('several_cards', 'Several eID cards are in the readers: leave only the card to use, since the terminal cannot ask which one');
      return { pinSource: 'terminal', card: only };
    }
    if (requested === 'pinpad' && !cards.some((c) => c.pinPad))
      throw new BridgeError('no_pinpad', "The card reader has no PIN pad: type the PIN on the bridge's page");
    // With several cards the person picks one first; the PIN source follows that card's reader.
    if (!only) return { pinSource: 'page' };
    return { pinSource: requested ?? (only.pinPad ? 'pinpad' : 'page'), card: only };
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
    const cards = insertedCards(api);
    const op = ops.start({ origin, nonce: body.nonce, algorithm: body.algorithm, lang: body.lang ?? 'en', cards, ...plan(body.pinSource, cards) });
    o.log(`operation ${short(op.id)}: ${origin} asks to authenticate, ${op.card ? `PIN via ${op.pinSource}` : `${cards.length} cards to choose from`}`);
    sendJson(res, 202, view(op), { ...cors, location: `/operations/${op.id}` });
    if (op.pinSource === 'terminal') setImmediate(() => void pinFromTerminal(op));
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

  /** The person picked a card on the bridge's page. */
  function choose(op: Operation, slot: string): void {
    const card = op.cards.find((c) => c.slot === slot);
    if (!card || op.card) return;
    op.card = card;
    op.pinSource = card.pinPad ? 'pinpad' : 'page';
    o.log(`operation ${short(op.id)}: card chosen, PIN via ${op.pinSource}`);
  }

  async function pinPage(req: IncomingMessage, res: ServerResponse, host: string, id: string): Promise<void> {
    const send = (statusCode: number, html: string) => void res.writeHead(statusCode, PAGE_HEADERS).end(html);
    const op = ops.get(id);
    if (!op || op.pinSource === 'terminal') return send(404, outcomePage('en', text('en', 'not_found.title'), text('en', 'not_found.body')));
    const lang: Language = op.lang;
    // A tab or window the person sees. A script's fetch of the address (no-cors) shows nothing to anyone, nor does a
    // hidden frame's navigation: the page refuses to be framed, but the request has reached the bridge by then.
    const seen = (req.headers['sec-fetch-mode'] ?? 'navigate') === 'navigate' && (req.headers['sec-fetch-dest'] ?? 'document') === 'document';
    if (req.method === 'GET' && seen) op.pageOpened = true;
    const refused = (message: string) => send(403, outcomePage(lang, text(lang, 'refused.title'), message));
    let statusCode = 200;
    if (req.method === 'POST') {
      try {
        checkSameOrigin(req, host);
      } catch (e) {
        return refused((e as Error).message);
      }
      const form = pinFormSchema.safeParse(Object.fromEntries(new URLSearchParams(await readBody(req, 'application/x-www-form-urlencoded'))));
      if (!form.success || !sameSecret(form.data.csrf, op.csrf)) return refused(text(lang, 'refused.form'));
      if (form.data.cancel) ops.fail(op, new BridgeError('cancelled', "Cancelled on the eID bridge's page"));
      else if (!op.card && form.data.card) choose(op, form.data.card);
      else if (op.card && op.pinSource === 'pinpad' && form.data.pinpad && !op.pinPadAsked) {
        op.pinPadAsked = true;
        void runOnPinPad(op);
      } else if (op.card && op.pinSource === 'page' && form.data.pin !== undefined) {
        await runWithPin(op, form.data.pin);
        statusCode = op.lastError?.status ?? 200;
      }
    } else if (req.method !== 'GET') {
      return send(404, outcomePage(lang, text(lang, 'not_found.title'), text(lang, 'not_found.body')));
    }
    const page = { lang, origin: op.origin, csrf: op.csrf };
    if (op.state === 'pin_required') {
      if (!op.card) return send(statusCode, choiceForm({ ...page, cards: op.cards }));
      if (op.pinSource === 'pinpad') return send(statusCode, pinPadPage({ ...page, card: op.card, waiting: op.pinPadAsked === true }));
      const error = op.lastError ? (op.lastError.code === 'pin_length' ? 'pin.length' : 'pin.wrong') : undefined;
      return send(statusCode, pinForm({ ...page, card: op.card, error, lastTry: op.wrongPins >= 2 }));
    }
    if (op.state === 'done') return send(200, outcomePage(lang, text(lang, 'done.title'), text(lang, 'done.body', { host: new URL(op.origin).host })));
    send(
      op.error?.status ?? 500,
      outcomePage(
        lang,
        text(lang, 'failed.title'),
        failureText(lang, op.error?.code ?? 'internal', op.error?.message ?? 'The eID operation failed: start again from the website.'),
      ),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let cors: OutgoingHttpHeaders = {};
    try {
      const host = checkHost(req, port);
      const pin = /^\/pin\/([\w-]+)$/.exec(path);
      if (pin) return await pinPage(req, res, host, pin[1]!);
      if (path === '/' && req.method === 'GET') return void res.writeHead(200, PAGE_HEADERS).end(homePage(req.headers['accept-language'], status(o.module)));
      const origin = allowedOrigin(req, o.allowedOrigins);
      cors = corsHeaders(origin);
      if (req.method === 'OPTIONS') return void res.writeHead(204, preflightHeaders(req, origin)).end();
      if (path === '/status' && req.method === 'GET') return sendJson(res, 200, statusForPages(status(o.module)), cors);
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
