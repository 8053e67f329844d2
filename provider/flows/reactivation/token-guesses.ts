// How often an activation token may be compared for a mobile number. Per requester (an address, an IPv6 /64) and
// number, ACTIVATION_TOKEN_TRIES an hour, then refused: that costs only the requester. Per number from all requesters
// together, the guessing throttle: past ACTIVATION_TOKEN_TRIES_GLOBAL wrong ones each try waits and one is checked at a
// time, plus one from an address that has not failed the number, so the owner's try from her connection is checked
// while others keep guessing. (A ceiling per number refused even her right token for an hour, while it lives ten
// minutes.) A guesser with ever new addresses can keep both places taken: an address where the card or a bank proved
// the account whose verified number this is has a third. A try is counted before it is compared, so that parallel
// guesses each spend one.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { isAppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { createLimiter, isRateLimited, waitOf, type Limiter } from '../../domain/guards/rate-limit.ts';
import { clientAddressKey, createThrottle } from '../../domain/guards/throttle.ts';
import { HOUR, type RedeemOutcome } from './states.ts';

/** A try counted, to be compared; its outcome is said once. */
export interface TokenTry {
  /** The token was wrong: the answer to give. */
  wrong(): Promise<RedeemOutcome>;
  /** It named a token of the number (live or not): the requester's try is given back. */
  found(): Promise<void>;
}

export type TokenGuesses = ReturnType<typeof createTokenGuesses>;

/** The key of a number and a requester (an address, an IPv6 /64): the tries' counts and the owner's proofs share it. */
export const numberAndRequester = (mobile: string, ip: string | undefined) => `${mobile}|${clientAddressKey(ip ?? 'unknown')}`;

/** `ownerProofs`: per number and requester (`number|address`), the proofs of the account that number is verified for. */
export function createTokenGuesses(db: Db, config: Config, ownerProofs: Limiter) {
  const perRequester = createLimiter(db, { keyPrefix: 'activation_wrong', points: config.activationTokenTries, durationSeconds: HOUR });
  const perNumber = createThrottle(db, {
    name: 'activation_token',
    perSubject: config.activationTokenTriesGlobal,
    perIp: config.rateLimitIp,
    maxDelaySeconds: config.rateLimitMaxDelay,
    // The tokens of one number may be other people's (a token is found by number and token together): someone who
    // redeems his own must not wipe the count of guesses at hers.
    forgetOnSuccess: false,
  });

  return {
    /** Counts a try of `mobile` from `ip`: the try to compare, or the answer of a refusal. */
    async begin(mobile: string, ip: string | undefined): Promise<TokenTry | RedeemOutcome> {
      const mine = numberAndRequester(mobile, ip);
      let counted;
      try {
        counted = await perRequester.consume(mine);
      } catch (e) {
        if (!isRateLimited(e)) throw e;
        await audit(db, 'reactivation.token_tries_exhausted', { ip });
        return { status: 'too_many', wait: waitOf(e) };
      }
      let attempt;
      try {
        const likelyOwner = ((await ownerProofs.get(mine))?.consumedPoints ?? 0) > 0;
        attempt = await perNumber.begin({ subject: `mobile:${mobile}`, ip, likelyOwner });
      } catch (e) {
        if (!isAppError(e) || e.code !== 'try_again') throw e;
        // Not compared, so not counted against the requester either.
        await perRequester.reward(mine, 1);
        return { status: 'busy', seconds: Number(e.params.seconds) };
      }
      return {
        async wrong() {
          const { thresholdReached } = await attempt.failed();
          if (thresholdReached) await audit(db, 'reactivation.token_guessing_slowed', { ip });
          return { status: 'wrong', triesLeft: counted.remainingPoints };
        },
        async found() {
          await Promise.all([perRequester.reward(mine, 1), attempt.succeeded()]);
        },
      };
    },
  };
}
