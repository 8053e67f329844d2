// A passkey as the second step of a login (after the password, or an upstream's login): the authenticator is asked
// for a passkey of the account the first step proved, named in allowCredentials, with the challenge kept in a flow
// bound to this browser and this login interaction and spent by the first answer; its signature counter is checked
// as at a passkey login (../passkey/webauthn.ts). Refused answers count in the same throttle as wrong codes.
// A person without a second factor, at a login that requires one, can make a passkey there instead of adding an app:
// its challenge is bound the same way, and it is stored as the security page stores one.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import type { Binding } from '../../domain/flow-state/binding.ts';
import { passkeysOf } from '../../domain/passkeys/repository.ts';
import { isAppError, type AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { createPasskeyMethod, type RegistrationAnswer } from '../passkey/webauthn.ts';
import type { SecondFactor } from './factor.ts';
import { secondFactorThrottle } from './throttle.ts';
import type { Locale } from '../../platform/web/i18n.ts';

/** What the options were made for: the login interaction, at its second step or at the second step's enrolment. */
interface StepData extends Record<string, unknown> {
  uid: string;
  step: 'second' | 'enrol';
}

export type PasskeyCheck = { ok: true } | { ok: false; error: AppError };

export function createPasskeyFactor(services: Pick<Services, 'config' | 'db' | 'flows' | 'users'>) {
  const { db } = services;
  const passkeys = createPasskeyMethod(services);
  const throttle = secondFactorThrottle(db, services.config);

  return {
    kind: 'passkey',
    amr: 'hwk',
    isEnrolled: async (user: User) => (await passkeysOf(db, user.id)).length > 0,

    /** The options of navigator.credentials.get, naming only `user`'s passkeys, for the interaction `uid`. */
    options: (user: User, binding: Binding, uid: string) => passkeys.authenticationOptions(db, binding, { uid, step: 'second' } satisfies StepData, user),

    /**
     * Checks the authenticator's answer for `user` at the interaction `uid`; a refusal says why (a catalogue key).
     * Throws the throttle's `try_again` while another attempt of the account is being checked after its delay.
     */
    async check(user: User, a: { flowId: string; binding: Binding; response: AuthenticationResponseJSON; uid: string; ip?: string }): Promise<PasskeyCheck> {
      const { result, thresholdReached } = await throttle.guard(
        user,
        a.ip,
        async (): Promise<PasskeyCheck> => {
          try {
            // Options made for this account: the same login, once the password of another account was typed in it,
            // would otherwise take the first account's passkey as the second's second step.
            await passkeys.authenticate<StepData>(db, { ...a, owner: (d, account) => account === user.id && d.uid === a.uid && d.step === 'second' });
            return { ok: true };
          } catch (e) {
            if (!isAppError(e)) throw e;
            return { ok: false, error: e };
          }
        },
        (r) => r.ok,
      );
      if (result.ok) await audit(db, 'second_factor.success', { userId: user.id, ip: a.ip, details: { kind: 'passkey' } });
      else await audit(db, 'second_factor.failure', { userId: user.id, ip: a.ip, details: { kind: 'passkey', reason: result.error.code } });
      if (thresholdReached) await audit(db, 'second_factor.throttled', { userId: user.id, ip: a.ip, details: { kind: 'passkey' } });
      return result;
    },

    /** The options of navigator.credentials.create for a new passkey of `user`, at the enrolment of the interaction `uid`. */
    registrationOptions: (user: User, binding: Binding, uid: string, locale: Locale) =>
      passkeys.registrationOptions(db, user, binding, locale, { uid, step: 'enrol' } satisfies StepData),

    /**
     * Stores the new passkey of `user` as the security page does (audited, mailed); refused (AppError) unless made at
     * `uid`'s enrolment and `claim` ends that enrolment in the same transaction (it was not ended by another factor).
     * Audited as a second factor enrolled too, as the app is, so that one filter finds every enrolment.
     */
    register: (user: User, a: RegistrationAnswer & { uid: string; claim: NonNullable<RegistrationAnswer['claim']> }) =>
      passkeys.register<StepData>(db, user, {
        ...a,
        owner: (d) => d.uid === a.uid && d.step === 'enrol',
        claim: async (trx) => {
          if (!(await a.claim(trx))) return false;
          await audit(trx, 'second_factor.enrolled', { userId: user.id, ip: a.ip, details: { kind: 'passkey' } });
          return true;
        },
      }),
  } satisfies SecondFactor & Record<string, unknown>;
}

export type PasskeyFactor = ReturnType<typeof createPasskeyFactor>;
