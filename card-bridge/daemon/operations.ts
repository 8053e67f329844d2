// Authentication operations of the daemon, and the card they share. One operation holds the card from
// POST /authenticate until it ends (token made, failed, cancelled or timed out); a caller from another page
// meanwhile gets `busy` at once rather than waiting, so that no citizen faces two PIN prompts and the provider's
// page can say why. The same page asking again (a reload, a second tab of the same site) replaces its own stale
// operation instead: an abandoned request must not lock the citizen out until it times out.
// A wrong PIN typed on the bridge's page keeps the operation waiting for another try; with the PIN pad or the
// terminal it ends the operation, and the provider's page starts a new one.
import { randomBytes } from 'node:crypto';
import type { Authentication, InsertedCard } from '../card.ts';
import { BridgeError } from '../errors.ts';
import { toBridgeError } from '../pkcs11/errors.ts';
import type { WebEidAlgorithm } from '../web-eid.ts';
import type { Language } from './pin-texts.ts';

export type PinSource = 'page' | 'pinpad' | 'terminal';
export type OperationState = 'pin_required' | 'done' | 'failed';

export interface Operation {
  id: string;
  origin: string;
  nonce: string;
  algorithm: WebEidAlgorithm | undefined;
  lang: Language;
  /** Where the PIN is typed; with several cards, fixed once the person has picked one. */
  pinSource: PinSource;
  /** The eIDs in the readers when the operation started. */
  cards: InsertedCard[];
  /** The card the PIN goes to: the only one, or the one the person picked on the bridge's page. */
  card?: InsertedCard;
  startedAt: Date;
  /** The bridge's page of the operation was opened in a browser tab or window (not fetched by a script). */
  pageOpened?: boolean;
  /**
   * A PIN pad reader waits for the PIN only once the person asked for it on the bridge's page, which names the asking
   * site: a page that never opens that page cannot make the reader prompt on its own.
   */
  pinPadAsked?: boolean;
  /** Wrong PINs typed during this operation: beid never tells how many tries are left, the page warns from this. */
  wrongPins: number;
  /** Anti-CSRF token of the PIN page's forms. */
  csrf: string;
  state: OperationState;
  expiresAt: Date;
  /** Aborts a terminal PIN prompt or a PIN pad login when the operation ends without it. */
  abort: AbortController;
  /** The last wrong PIN on the page, while the operation waits for another try. */
  lastError?: BridgeError;
  error?: BridgeError;
  result?: Authentication;
}

export type OperationInput = Pick<Operation, 'origin' | 'nonce' | 'algorithm' | 'lang' | 'pinSource' | 'cards' | 'card'>;

const RETRY_ON_PAGE = new Set(['pin_incorrect', 'pin_length']);
// How long a finished operation's outcome stays available to the page that polls for it.
const OUTCOME_TTL_MS = 60_000;

const randomId = () => randomBytes(18).toString('base64url');

export class Operations {
  readonly #timeoutMs: number;
  readonly #all = new Map<string, Operation>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #active: Operation | undefined;

  readonly #unopenedMs: number;

  /**
   * `unopenedMs`: how long an operation whose page nobody opened keeps the card from other websites. A site that asks
   * and never shows the bridge's page (its own renewed at will) would otherwise keep the card from every other site.
   */
  constructor(timeoutMs: number, unopenedMs = 10_000) {
    this.#timeoutMs = timeoutMs;
    this.#unopenedMs = unopenedMs;
  }

  start(input: OperationInput): Operation {
    if (this.#active?.origin === input.origin) {
      this.fail(this.#active, new BridgeError('cancelled', 'Replaced by a newer request from the same website'));
    }
    if (this.#active && !this.#active.pageOpened && Date.now() - this.#active.startedAt.getTime() > this.#unopenedMs) {
      this.fail(this.#active, new BridgeError('cancelled', "Replaced by another website's request: the eID bridge's page was never opened"));
    }
    if (this.#active) {
      const seconds = Math.max(1, Math.ceil((this.#active.expiresAt.getTime() - Date.now()) / 1000));
      throw new BridgeError('busy', `Another website is using your eID: finish or cancel it in its window, or retry within ${seconds} seconds`);
    }
    const op: Operation = {
      ...input,
      id: randomId(),
      csrf: randomId(),
      wrongPins: 0,
      state: 'pin_required',
      startedAt: new Date(),
      expiresAt: new Date(Date.now() + this.#timeoutMs),
      abort: new AbortController(),
    };
    this.#active = op;
    this.#all.set(op.id, op);
    this.#timers.set(
      op.id,
      setTimeout(() => this.fail(op, new BridgeError('timeout', 'The PIN was not entered in time: start again')), this.#timeoutMs).unref(),
    );
    return op;
  }

  get(id: string): Operation | undefined {
    return this.#all.get(id);
  }

  /**
   * Runs the card work (synchronous for a PIN typed on the computer, a promise while a PIN pad login is waited for
   * in another thread); the outcome lands on the operation unless it ended meanwhile.
   */
  async run(op: Operation, card: () => Authentication | Promise<Authentication>): Promise<void> {
    if (op.state !== 'pin_required') return;
    try {
      const result = await card();
      if (op.state !== 'pin_required') return;
      op.result = result;
      delete op.lastError;
      this.#end(op, 'done');
    } catch (e) {
      if (op.state !== 'pin_required') return;
      const error = toBridgeError(e);
      if (error.code === 'pin_incorrect') op.wrongPins++;
      if (op.pinSource === 'page' && RETRY_ON_PAGE.has(error.code)) {
        op.lastError = error;
      } else {
        this.fail(op, error);
      }
    }
  }

  fail(op: Operation, error: BridgeError): void {
    if (op.state === 'done' || op.state === 'failed') return;
    op.error = error;
    op.abort.abort(error);
    this.#end(op, 'failed');
  }

  /** A token is handed out once: the operation is forgotten after the page has read it. */
  delivered(op: Operation): void {
    if (op.state === 'done') this.#forget(op);
  }

  close(): void {
    for (const op of this.#all.values()) this.fail(op, new BridgeError('cancelled', 'The eID bridge stopped'));
    for (const timer of this.#timers.values()) clearTimeout(timer);
  }

  #end(op: Operation, state: 'done' | 'failed'): void {
    op.state = state;
    if (this.#active === op) this.#active = undefined;
    clearTimeout(this.#timers.get(op.id));
    this.#timers.set(op.id, setTimeout(() => this.#forget(op), OUTCOME_TTL_MS).unref());
  }

  #forget(op: Operation): void {
    clearTimeout(this.#timers.get(op.id));
    this.#timers.delete(op.id);
    this.#all.delete(op.id);
  }
}
