// What a login needs of a second factor, whichever it is: whether the person has it, and the amr value it adds to
// the password's. The authenticator app (./totp.ts) is the first; a passkey can be offered the same way.
import type { User } from '../../domain/accounts/repository.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import type { SignInMethod } from '../strategy.ts';

export interface SecondFactor {
  /** Names the factor in the audit ('totp'). */
  kind: string;
  /** The RFC 8176 amr value a login with it carries besides 'pwd'. */
  amr: string;
  isEnrolled(user: User): Promise<boolean>;
}

/**
 * A first step (a password, or an upstream's login) and then a second factor: the amr names both (RFC 8176:
 * ['pwd', 'otp'], ['fed', 'hwk']), the audit the factor.
 */
export const secondFactorMethod: SignInMethod<{ user: User; factor: Pick<SecondFactor, 'kind' | 'amr'>; first: readonly string[] }> = {
  id: 'mfa',
  acr: ACR.mfa,
  amr: [...AMR.password, 'otp'],
  login: ({ user, factor, first }) => ({ user, method: 'mfa', acr: ACR.mfa, amr: [...new Set([...first, factor.amr])], details: { factor: factor.kind } }),
};
