// What every way of proving who one is gives the login it ends, as Ory Kratos' strategies do: its name in the audit
// and the metrics, the acr and amr the ID token carries, and how its verified answer becomes "this account logged
// in". Each method folder exports one; flows/login/logged-in.ts is where every login then ends.
import type { User } from '../domain/accounts/repository.ts';

/** An account proved by a method, with what the ID token and the audit say of it. */
export interface Login {
  user: User;
  method: string;
  acr: string;
  amr: readonly string[];
  /** What the login.success audit records besides the method (the card's revocation check, the passkey, the upstream). */
  details?: Record<string, unknown>;
  /** When the proof was given (epoch seconds), if not just now: the ID token's auth_time, which max_age is held to. */
  at?: number;
}

export interface SignInMethod<Verified> {
  /** Names the method in the login.* audit events and in belid_logins_total{method}. */
  id: string;
  /** The acr and amr of its logins (an upstream may state a level of its own). */
  acr: string;
  amr: readonly string[];
  login(verified: Verified): Login;
}

/** A method whose every login has the same acr and amr. */
export function signInMethod<V extends { user: User }>(
  id: string,
  level: { acr: string; amr: readonly string[] },
  details?: (v: V) => Record<string, unknown>,
): SignInMethod<V> {
  return { id, ...level, login: (v) => ({ user: v.user, method: id, ...level, ...(details ? { details: details(v) } : {}) }) };
}
