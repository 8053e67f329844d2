// The states of a reactivation, typed: the flow that proves the account (a mobile number, then the card or an
// upstream) and the flow that takes it back (the SMS code, then a new password), with what each step answers.
import type { User } from '../../domain/accounts/repository.ts';
import type { RuleFailure } from '../../domain/accounts/password-policy.ts';
import type { Duration, Locale } from '../../platform/web/i18n.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import type { AWAITING_CARD, NonceData } from '../../methods/eid-card/nonces.ts';
import type { CardCheck } from '../../methods/eid-card/card-step.ts';

export const REACTIVATION_FLOW = 'reactivation';
export const ACCOUNT_FLOW = 'reactivation_account';
export const ACTIVATION_PURPOSE = 'activation_token';
export const FLOW_TTL_SECONDS = 1800;
export const REPORT_TTL_SECONDS = 14 * 86400;
export const HOUR = 3600;

/** The proving flow: the card's nonce waits, the card is being checked (its nonce spent), the account is found, the token shown. */
export type ReactivationState = typeof AWAITING_CARD | 'checking' | 'card_checked' | 'token_issued';

export interface ReactivationData extends NonceData {
  mobile: string;
  cardNumber?: string;
  /** The upstream provider that vouched for the account instead of the card (provider/methods/upstream). */
  upstream?: string;
}

/** The card step of a reactivation (methods/eid-card/card-step.ts): a refusal is counted as a reactivation's. */
export const CARD: CardCheck<ReactivationData> & { to: ReactivationState } = {
  type: REACTIVATION_FLOW,
  to: 'checking',
  refusedEvent: 'reactivation.card_refused',
};

export interface AccountData extends Record<string, unknown> {
  mobile: string;
  cardNumber: string;
  upstream?: string;
  /** The account's verified number before the reactivation: it is told too. */
  previousMobile?: string;
  /**
   * The account's access generation when the token was redeemed: a new password, a block, a lock or another
   * reactivation moves it on, and ends this flow (a thief's flow left at a step must not outlive the owner's action).
   */
  generation: number;
}

export type RedeemOutcome =
  | { status: 'ok'; flow: Flow<AccountData> }
  | { status: 'wrong'; triesLeft: number }
  | { status: 'too_many'; wait: Duration }
  /** Another try for the number is being checked (past ACTIVATION_TOKEN_TRIES_GLOBAL): this one was not. */
  | { status: 'busy'; seconds: number }
  | { status: 'used' | 'expired' | 'voided' };

export type CompleteOutcome = { status: 'ok'; user: User } | { status: 'weak'; failures: RuleFailure[] };

export type Request = { ip: string | undefined; locale: Locale };
