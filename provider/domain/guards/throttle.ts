// Guessing defence for every step where a person proves something (password, mailed code, SMS code, token):
// failures are counted per subject (an account, or whatever identifier was typed when it names none) and per IP
// address over a 15-minute window, in the database so every process sees the same counts. Past a threshold each
// further attempt waits before it is checked, twice as long after each failure (1 s, 2 s, 4 s… up to a cap).
// There is no lockout: a lockout would let anyone lock a known user out by typing wrong passwords, whereas a
// delay costs the real owner a few seconds and a guesser most of his attempts. Unknown identifiers are counted
// and delayed like accounts, so the answers cannot tell who has an account or who is being throttled.
// A delay is only worth something if guesses cannot wait it out side by side: an attempt that owes one holds its
// subject and its address until it is checked, and an attempt arriving meanwhile is refused ("try again in N s")
// without being checked, so N guesses cost the sum of their delays, not the longest one.
// That one place must not be the guesser's for good: an attacker who keeps guessing takes it again as soon as it is
// free, and the owner on a new browser would meet "try again" every time. So a subject has a second place, for
// addresses that have failed it fewer than `perSubject` times in the window: the owner elsewhere takes that one and is
// checked after the delay. A guesser's own address loses it after that many failures, so it adds at most one checked
// attempt per delay (a guesser with ever new addresses is held to twice the rate of one place, not to the owner's).
// Such a guesser can keep both places taken; where the caller can tell the owner's likely requester (the address where
// the card or a bank proved the account whose verified mobile number is being tried), that one has a third place.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { AppError } from '../../platform/errors.ts';
import { writeLater, writeNow } from '../../platform/db/later.ts';
import { countAttempt, countsOf, release, takeHold, type Counter } from './attempt-counts.ts';

export const WINDOW_SECONDS = 900;
const FIRST_DELAY_MS = 1000;
// Longer than any check takes after its delay: a process that dies while holding a subject frees it by then.
const HOLD_MARGIN_SECONDS = 60;

/** Another attempt for the same subject or address is being checked: this one was not, and may come back later. */
export const tryAgain = (ms: number) => new AppError('try_again', 'error.try_again', 429, { seconds: Math.max(1, Math.ceil(ms / 1000)) });

export interface ThrottleOptions {
  /** Names the guarded step in the stored keys: 'login', 'recovery', 'activation_code', … */
  name: string;
  /** Failures of one subject per window before delays start. */
  perSubject: number;
  /** Failures from one IP address per window before delays start. */
  perIp: number;
  maxDelaySeconds: number;
  /**
   * Whether a success forgets the subject's failures (default): an account's own secret, proved, ends the guessing of
   * it. Not where many secrets share one subject (the activation tokens asked for one mobile number, some of them by
   * other people): one person's success there says nothing of the others' guesses.
   */
  forgetOnSuccess?: boolean;
  /** Injected by tests instead of really waiting. */
  wait?: (ms: number) => Promise<unknown>;
}

/** Who an attempt is about: `subject` is an account id or the identifier typed; either may be absent. */
export interface AttemptOf {
  subject?: string | undefined;
  ip?: string | undefined;
  /**
   * The caller knows this requester for the subject's likely owner (the card or a bank proved, at its address, the
   * account whose verified number is the subject): when a guesser with ever new addresses keeps both places taken, it
   * has a third of its own.
   */
  likelyOwner?: boolean;
}

/** One attempt, counted and waited for; the caller then says how it went. */
export interface Attempt {
  /** Whether it waited a delay: what it is checked against may have changed meanwhile (a new password). */
  waited: boolean;
  /** The secret was wrong (the attempt is already counted); `thresholdReached` once per window, at the subject's `perSubject`-th failure. */
  failed(): Promise<{ subjectFailures: number; thresholdReached: boolean }>;
  /**
   * The secret was right: the subject's failures are forgotten, and the attempt no longer counts against the address.
   * `forget`: other rate_limits keys the success clears, in the same write.
   */
  succeeded(forget?: string[]): Promise<void>;
}

export interface Throttle {
  /** The delay that earlier failures have earned for the next attempt, milliseconds (read only). */
  delayMs(a: AttemptOf): Promise<number>;
  /**
   * Counts the attempt, then waits the delay that the attempts before it earned. Counting first, in one atomic
   * step, gives parallel guesses each their own place and delay, instead of all reading the same count. An attempt
   * that owes a delay while another one of its subject or address is in flight is not counted and throws `tryAgain`.
   */
  begin(a: AttemptOf): Promise<Attempt>;
  /**
   * The whole guard for a code or token entry: waits, runs `check`, counts the outcome.
   * `thresholdReached` tells the caller to warn the owner (once per window).
   */
  guard<T>(a: AttemptOf, check: () => Promise<T>, succeeded: (result: T) => boolean): Promise<{ result: T; thresholdReached: boolean }>;
}

/** 0 below the threshold, then 1 s doubling with each further failure, capped. */
export function delayAfter(failures: number, threshold: number, maxMs: number): number {
  if (failures < threshold) return 0;
  return Math.min(FIRST_DELAY_MS * 2 ** Math.min(failures - threshold, 30), maxMs);
}

// Identifiers (addresses, usernames) are stored hashed: the table of counters is no list of who tried what.
export const keyOf = (value: string) => createHash('sha256').update(value.trim().toLowerCase()).digest('base64url');

/**
 * The part of a client address that one client holds: an IPv6 client is given a whole /64 (and can pick any address
 * in it for each guess), so it is counted by that prefix; an IPv4-mapped IPv6 address counts as its IPv4 address.
 */
export function clientAddressKey(ip: string): string {
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export function createThrottle(db: Db, o: ThrottleOptions): Throttle {
  const maxMs = o.maxDelaySeconds * 1000;
  const wait = o.wait ?? ((ms: number) => sleep(ms));
  // The keys rate-limiter-flexible's limiters of these names had: a deployment keeps its counts across the change.
  const keysOf = ({ subject, ip }: AttemptOf) => {
    const client = ip && clientAddressKey(ip);
    return {
      subject: subject ? { key: `${o.name}_subject:${keyOf(subject)}`, holdKey: `${o.name}_in_flight:s:${keyOf(subject)}` } : undefined,
      client: client ? { key: `${o.name}_ip:${keyOf(client)}`, holdKey: `${o.name}_in_flight:a:${keyOf(client)}` } : undefined,
      // The subject's second place, and the count that says whether this address may take it.
      pair:
        subject && client
          ? { key: `${o.name}_pair:${keyOf(`${subject}\n${client}`)}`, holdKey: `${o.name}_in_flight:f:${keyOf(subject)}`, owesAbove: Infinity }
          : undefined,
    };
  };
  // Without delays nothing is ever held.
  const owesAbove = (threshold: number) => (maxMs > 0 ? threshold : Infinity);

  const throttle: Throttle = {
    async delayMs(a) {
      const { subject, client } = keysOf(a);
      const [bySubject = 0, byIp = 0] = await countsOf(db, [subject?.key, client?.key]);
      return Math.max(subject ? delayAfter(bySubject, o.perSubject, maxMs) : 0, client ? delayAfter(byIp, o.perIp, maxMs) : 0);
    },

    async begin(a) {
      const { subject, client, pair } = keysOf(a);
      const subjectCounter: Counter | undefined = subject && { ...subject, owesAbove: owesAbove(o.perSubject) };
      const clientCounter: Counter | undefined = client && { ...client, owesAbove: owesAbove(o.perIp) };
      const counters = [subjectCounter, clientCounter, pair].filter((c) => c !== undefined);
      const holdMs = maxMs + HOLD_MARGIN_SECONDS * 1000;
      const counted = await countAttempt(db, counters, WINDOW_SECONDS * 1000, holdMs);
      const countOf = (c: Counter | undefined) => (c ? counted[counters.indexOf(c)]! : { count: 0, held: false });
      const bySubject = countOf(subjectCounter).count;
      const byIp = countOf(clientCounter).count;
      // The attempts before this one earned its delay.
      const ms = Math.max(subject ? delayAfter(bySubject - 1, o.perSubject, maxMs) : 0, client ? delayAfter(byIp - 1, o.perIp, maxMs) : 0);
      const held = counters.filter((_, i) => counted[i]!.held).map((c) => c.holdKey);
      const waiting = counters.filter((c, i) => counted[i]!.count > c.owesAbove && !counted[i]!.held);
      if (waiting.length === 1 && waiting[0] === subjectCounter) {
        // The subject's other places: the second, for an address that has failed it fewer times than the threshold;
        // the third, for the requester the caller knows for the likely owner.
        const places = [
          ...(pair && countOf(pair).count <= o.perSubject ? [pair.holdKey] : []),
          ...(a.likelyOwner && a.subject ? [`${o.name}_in_flight:o:${keyOf(a.subject)}`] : []),
        ];
        for (const holdKey of places) {
          if (!(await takeHold(db, holdKey, holdMs))) continue;
          held.push(holdKey);
          waiting.length = 0;
          break;
        }
      }
      if (waiting.length) {
        // Refused: not counted, and what it held let go.
        await writeNow(db, release({ remove: held, takeBack: counters.map((c) => c.key) }));
        throw tryAgain(ms);
      }
      const letGo = () => writeLater(db, ...release({ remove: held }));
      try {
        if (ms > 0) await wait(ms);
      } catch (e) {
        await letGo();
        throw e;
      }
      return {
        waited: ms > 0,
        async failed() {
          await letGo();
          return { subjectFailures: bySubject, thresholdReached: subject !== undefined && bySubject === o.perSubject };
        },
        async succeeded(forget = []) {
          const subjectKeys = [subject?.key, pair?.key].filter((k) => k !== undefined);
          // Kept, a success is not a failure of the subject either: its count is taken back like the address's.
          const [removed, takenBack] = o.forgetOnSuccess === false ? [[], subjectKeys] : [subjectKeys, []];
          await writeLater(db, ...release({ remove: [...held, ...removed, ...forget], takeBack: [...(client ? [client.key] : []), ...takenBack] }));
        },
      };
    },

    async guard(a, check, succeeded) {
      const attempt = await throttle.begin(a);
      let result: Awaited<ReturnType<typeof check>>;
      try {
        result = await check();
      } catch (e) {
        await attempt.failed();
        throw e;
      }
      if (succeeded(result)) {
        await attempt.succeeded();
        return { result, thresholdReached: false };
      }
      return { result, thresholdReached: (await attempt.failed()).thresholdReached };
    },
  };
  return throttle;
}

/**
 * The throttle of a code or token entry (activation token, SMS code, …) with the configured limits: per account
 * RATE_LIMIT_LOGIN, per IP RATE_LIMIT_IP, delays up to RATE_LIMIT_MAX_DELAY. Build it once per router.
 */
export function codeEntryThrottle(db: Db, config: Pick<Config, 'rateLimitLogin' | 'rateLimitIp' | 'rateLimitMaxDelay'>, name: string): Throttle {
  return createThrottle(db, { name, perSubject: config.rateLimitLogin, perIp: config.rateLimitIp, maxDelaySeconds: config.rateLimitMaxDelay });
}
