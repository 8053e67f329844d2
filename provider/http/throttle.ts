// Guessing defence for every step where a person proves something (password, mailed code, SMS code, token):
// failures are counted per subject (an account, or whatever identifier was typed when it names none) and per IP
// address over a 15-minute window, in the database so every process sees the same counts. Past a threshold each
// further attempt waits before it is checked, twice as long after each failure (1 s, 2 s, 4 s… up to a cap).
// Nobody is ever refused: a lockout would let anyone lock a known user out by typing wrong passwords, whereas a
// delay costs the real owner a few seconds and a guesser most of his attempts. Unknown identifiers are counted
// and delayed like accounts, so the answers cannot tell who has an account or who is being throttled.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { createLimiter, type Limiter } from './rate-limit.ts';

const WINDOW_SECONDS = 900;
const FIRST_DELAY_MS = 1000;
// The limiters only count; their own refusal (points exhausted) is never reached.
const COUNT_ONLY = 2 ** 31 - 1;

export interface ThrottleOptions {
  /** Names the guarded step in the stored keys: 'login', 'recovery', 'activation_code', … */
  name: string;
  /** Failures of one subject per window before delays start. */
  perSubject: number;
  /** Failures from one IP address per window before delays start. */
  perIp: number;
  maxDelaySeconds: number;
  /** Injected by tests instead of really waiting. */
  wait?: (ms: number) => Promise<unknown>;
}

/** Who an attempt is about: `subject` is an account id or the identifier typed; either may be absent. */
export interface AttemptOf {
  subject?: string | undefined;
  ip?: string | undefined;
}

export interface Throttle {
  /** The delay that earlier failures have earned for this attempt, milliseconds. */
  delayMs(a: AttemptOf): Promise<number>;
  /** Waits that delay; returns it. */
  wait(a: AttemptOf): Promise<number>;
  /** Counts a failure; `thresholdReached` is true once per window, at the subject's `perSubject`-th failure. */
  failure(a: AttemptOf): Promise<{ subjectFailures: number; thresholdReached: boolean }>;
  /** Forgets the subject's failures (the right secret was given). */
  success(a: AttemptOf): Promise<void>;
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
const keyOf = (value: string) => createHash('sha256').update(value.trim().toLowerCase()).digest('base64url');

export function createThrottle(db: Db, o: ThrottleOptions): Throttle {
  const maxMs = o.maxDelaySeconds * 1000;
  const wait = o.wait ?? ((ms: number) => sleep(ms));
  const subjects = createLimiter(db, { keyPrefix: `${o.name}_subject`, points: COUNT_ONLY, durationSeconds: WINDOW_SECONDS });
  const ips = createLimiter(db, { keyPrefix: `${o.name}_ip`, points: COUNT_ONLY, durationSeconds: WINDOW_SECONDS });

  const failuresOf = async (limiter: Limiter, key: string | undefined) => (key ? ((await limiter.get(keyOf(key)))?.consumedPoints ?? 0) : 0);
  const count = async (limiter: Limiter, key: string | undefined) => (key ? (await limiter.consume(keyOf(key))).consumedPoints : 0);

  const throttle: Throttle = {
    async delayMs({ subject, ip }) {
      const [bySubject, byIp] = await Promise.all([failuresOf(subjects, subject), failuresOf(ips, ip)]);
      return Math.max(delayAfter(bySubject, o.perSubject, maxMs), delayAfter(byIp, o.perIp, maxMs));
    },

    async wait(a) {
      const ms = await throttle.delayMs(a);
      if (ms > 0) await wait(ms);
      return ms;
    },

    async failure({ subject, ip }) {
      const [subjectFailures] = await Promise.all([count(subjects, subject), count(ips, ip)]);
      return { subjectFailures, thresholdReached: subject !== undefined && subjectFailures === o.perSubject };
    },

    async success({ subject }) {
      if (subject) await subjects.delete(keyOf(subject));
    },

    async guard(a, check, succeeded) {
      await throttle.wait(a);
      const result = await check();
      if (succeeded(result)) {
        await throttle.success(a);
        return { result, thresholdReached: false };
      }
      const { thresholdReached } = await throttle.failure(a);
      return { result, thresholdReached };
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
