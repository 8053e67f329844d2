// Step-up to the eID: a relying app that asks for ACR.eid in acr_values gets an eID login even when the browser
// already has a password session. (An essential acr claim is enforced by oidc-provider's own essential_acr(s)
// checks, which compare with the session's acr just the same; the login page offers only the ways that give one of
// its values, acceptedWays.)
import { interactionPolicy } from 'oidc-provider';
import { ACR } from './acr.ts';
import type { MessageKey } from '../platform/web/message-key.ts';

/** The reason the login prompt names; the login page then offers only the eID. */
export const EID_REQUIRED = 'eid_required';

const acrRequest = (claims: unknown): { value?: unknown; values?: unknown; essential?: unknown } | undefined => {
  try {
    const parsed = typeof claims === 'string' ? (JSON.parse(claims) as unknown) : claims;
    return (parsed as { id_token?: { acr?: Record<string, unknown> } } | undefined)?.id_token?.acr ?? undefined;
  } catch {
    return undefined;
  }
};

/**
 * The acr values an authorization request accepts, or undefined for any: ACR.eid in acr_values, which this provider
 * holds to, and an essential acr claim's value and values, each held to as oidc-provider's essential_acr and
 * essential_acrs checks read them (either there, truthy, must be met; values not a list is refused before a login).
 * What they have in common, which may be nothing (an empty list, a value no acr is).
 */
export function acceptedAcrs(params: Record<string, unknown>): readonly string[] | undefined {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  const acr = acrRequest(params.claims);
  const essential = acr?.essential ? acr : {};
  const asked: unknown[][] = [
    ...(acrValues.includes(ACR.eid) ? [[ACR.eid]] : []),
    ...(essential.value ? [[essential.value]] : []),
    ...(Array.isArray(essential.values) ? [essential.values] : []),
  ];
  if (!asked.length) return undefined;
  return asked.reduce((all, list) => all.filter((a) => list.includes(a))).filter((a): a is string => typeof a === 'string');
}

/** Whether the authorization request accepts nothing but an eID login. */
export function asksForEid(params: Record<string, unknown>): boolean {
  const accepted = acceptedAcrs(params);
  return accepted?.length === 1 && accepted[0] === ACR.eid;
}

/** The ways of logging in whose acr the request accepts: a password (alone, or with a second factor where only
 *  `mfa` will do), a passkey, the eID card, an upstream (`fed`, `mfa` after a second factor, or the upstream's own
 *  acr, which may be any value not ours). A login whose acr is not accepted would only be asked for again. */
export function acceptedWays(params: Record<string, unknown>): { password: boolean; passkey: boolean; eid: boolean; upstream: boolean } {
  const accepted = acceptedAcrs(params);
  const accepts = (...acrs: string[]) => !accepted || acrs.some((a) => accepted.includes(a));
  const ours: readonly string[] = Object.values(ACR);
  return {
    password: accepts(ACR.password, ACR.mfa),
    passkey: accepts(ACR.passkey),
    eid: accepts(ACR.eid),
    upstream: accepts(ACR.federated, ACR.mfa) || accepted!.some((a) => !ours.includes(a)),
  };
}

/** What the login page says when the request accepts no password (the catalogue key), or undefined when it does. */
export function passwordRefusal(params: Record<string, unknown>): MessageKey | undefined {
  const ways = acceptedWays(params);
  if (ways.password) return undefined;
  if (!(ways.upstream || ways.eid || ways.passkey)) return 'login.only.none';
  if (ways.upstream) return 'login.only.other';
  return ways.eid ? (ways.passkey ? 'login.only.eid_or_passkey' : 'eid.login.only') : 'login.only.passkey';
}

/** What the start of another way than the password (a passkey, the eID card, an upstream) says when the request does
 *  not accept it (the catalogue key), or undefined when it does: its login would only lead back to the login page. */
export function wayRefusal(params: Record<string, unknown>, way: 'passkey' | 'eid' | 'upstream'): MessageKey | undefined {
  if (acceptedWays(params)[way]) return undefined;
  return passwordRefusal(params) ?? (way === 'passkey' ? 'login.passkey_not_accepted' : 'login.way_not_accepted');
}

/** The reason the login prompt names when the session lacks a second factor the request or the app requires. */
export const MFA_REQUIRED = 'mfa_required';

/** The acr values that prove two factors: the eID is a card and its PIN, a passkey a device and the PIN or biometrics
 *  that unlocked it (user verification is required of every passkey). */
const TWO_FACTORS: readonly string[] = [ACR.mfa, ACR.eid, ACR.passkey];

/**
 * Whether the login must include a second factor: the app was registered with require_mfa (`idp clients create
 * --require-mfa`), or the request asks for ACR.mfa in acr_values or as an essential acr claim.
 */
export function asksForMfa(params: Record<string, unknown>, client: { [key: string]: unknown } | undefined): boolean {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  if (client?.['require_mfa'] === true || acrValues.includes(ACR.mfa)) return true;
  const acr = acrRequest(params.claims);
  if (!acr?.essential) return false;
  return acr.value === ACR.mfa || (Array.isArray(acr.values) && acr.values.length > 0 && acr.values.every((v) => TWO_FACTORS.includes(v as string)));
}

/** Whether a session's acr satisfies a request for two factors. */
export const hasTwoFactors = (acr: string | undefined) => acr !== undefined && TWO_FACTORS.includes(acr);

/** oidc-provider's default prompts with the eID and second-factor step-up checks added to `login`. */
export function eidStepUpPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(EID_REQUIRED, 'the client requires an eID login', (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return asksForEid(oidc.params as Record<string, unknown>) && oidc.acr !== ACR.eid
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(MFA_REQUIRED, 'the client requires a second factor', (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return asksForMfa(oidc.params as Record<string, unknown>, oidc.client) && !hasTwoFactors(oidc.acr)
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
