// Step-up to the eID: a relying app that asks for ACR.eid in acr_values gets an eID login even when the browser
// already has a password session. (An essential acr claim is enforced by oidc-provider's own essential_acr(s)
// checks, which compare with the session's acr just the same.)
import { interactionPolicy } from 'oidc-provider';
import { ACR } from './acr.ts';

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

/** Whether the authorization request accepts nothing but an eID login. */
export function asksForEid(params: Record<string, unknown>): boolean {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  if (acrValues.includes(ACR.eid)) return true;
  const acr = acrRequest(params.claims);
  if (!acr?.essential) return false;
  return acr.value === ACR.eid || (Array.isArray(acr.values) && acr.values.length === 1 && acr.values[0] === ACR.eid);
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
