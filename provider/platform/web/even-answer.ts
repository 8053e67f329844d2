// For answers that must not tell by their time whether an account matched (a recovery, a sign-up, a new activation
// link): known and unknown accounts do different work, so the answer leaves a fixed time after the request began.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

// Spread over the answers so that the fixed minimum time is not itself a sharp, recognisable value.
const JITTER_MS = 20;

/** Resolves `ms` (plus up to 20 ms of jitter) after `started` (a `performance.now()`), or at once if that is past. */
export const noSoonerThan = (started: number, ms: number): Promise<void> => sleep(Math.max(0, ms + randomInt(JITTER_MS) - (performance.now() - started)));
