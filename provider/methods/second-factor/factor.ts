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

/** A password and then a second factor: the amr names both, the login the factor. */
export const secondFactorMethod: SignInMethod<{ user: User; factor: SecondFactor }> = {
  id: 'mfa',
  acr: ACR.mfa,
  amr: AMR.mfa,
  login: ({ user, factor }) => ({ user, method: 'mfa', acr: ACR.mfa, amr: ['pwd', factor.amr], details: { factor: factor.kind } }),
};
