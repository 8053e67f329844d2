// What a login needs of a second factor, whichever it is: whether the person has it, and the amr value it adds to
// the password's. The authenticator app (./totp.ts) is the first; a passkey can be offered the same way.
import type { User } from '../../domain/accounts/repository.ts';

export interface SecondFactor {
  /** Names the factor in the audit ('totp'). */
  kind: string;
  /** The RFC 8176 amr value a login with it carries besides 'pwd'. */
  amr: string;
  isEnrolled(user: User): Promise<boolean>;
}
