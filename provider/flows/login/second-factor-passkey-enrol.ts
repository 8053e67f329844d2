// "Add a passkey instead" at the enrolment of a login that requires two factors, for a person who has none: the
// options and the answer are taken only while this browser's second step is at its enrolment for this interaction,
// the challenge is bound to the browser and the interaction and spent by the first answer. The passkey is stored as
// the security page stores one (audit, mail to the person), the authenticator app that was offered is dropped, and
// the login ends with the password and the passkey, as the passkey second step ends it.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { User } from '../../domain/accounts/repository.ts';
import { browserBinding, type FlowStarts } from '../../domain/flow-state/binding.ts';
import type { PasskeyFactor } from '../../methods/second-factor/passkey.ts';
import type { SecondFactor } from '../../methods/second-factor/factor.ts';
import type { TotpMethod } from '../../methods/second-factor/totp.ts';
import { registrationForm, registrationFormErrors } from '../../methods/passkey/webauthn.ts';
import { fieldText, formInput } from '../../platform/web/form.ts';
import type { Locale } from '../../platform/web/i18n.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { passkeyCeremony, type Interaction, type Step } from './second-factor-passkey.ts';

/** Where the enrolment page's passkey form posts; its options are at `…/options`. */
export const passkeyEnrolPath = (uid: string) => `/interaction/${uid}/second-factor/enrol/passkey`;

export interface PasskeyEnrolDeps<S extends Step> {
  passkey: PasskeyFactor;
  totp: Pick<TotpMethod, 'cancel'>;
  flowStarts: FlowStarts;
  locale(ctx: Context, d: Interaction): Locale;
  pendingOf(ctx: Context, d: Interaction): Promise<S | undefined>;
  /** The enrolment page again, with what was refused and the name typed. */
  enrolPage(ctx: Context, d: Interaction, user: User, errors?: FormErrors, name?: string): Promise<void>;
  done(ctx: Context, step: S, factor: Pick<SecondFactor, 'kind' | 'amr'>): Promise<void>;
}

export function passkeyEnrolRoutes<S extends Step>(router: Router, deps: PasskeyEnrolDeps<S>) {
  const { passkey, totp, flowStarts, locale, pendingOf, enrolPage, done } = deps;
  passkeyCeremony(
    router,
    { path: passkeyEnrolPath(':uid'), stage: 'enrol', pendingOf },
    async (ctx, d, pending) => passkey.registrationOptions(pending.user, await flowStarts.forAccount(ctx, pending.user.id), d.uid, locale(ctx, d)),
    async (ctx, d, pending) => {
      const { raw, parsed: input } = await formInput(ctx, registrationForm);
      const name = fieldText(raw.name).trim();
      if (!input.success) {
        ctx.status = 400;
        return enrolPage(ctx, d, pending.user, registrationFormErrors(raw, input.error), name);
      }
      try {
        await passkey.register(pending.user, {
          flowId: input.data.flow,
          binding: browserBinding(ctx),
          response: input.data.response,
          name: input.data.name,
          uid: d.uid,
          // The mail goes in the language of the page, as the authenticator app's does when it is added here.
          locale: locale(ctx, d),
          ip: ctx.ip,
          // The app's secret shown on the page goes with it, or it would still activate an app later, unasked for.
          // Its row is the enrolment: gone when the app was activated or another passkey made meanwhile (two tabs,
          // two answers at once), and then this passkey is not stored.
          claim: (trx) => totp.cancel(pending.user, trx),
        });
      } catch (e) {
        if (!isAppError(e)) throw e;
        ctx.status = e.status;
        return enrolPage(ctx, d, pending.user, formError('form', e.key, e.params), name);
      }
      await done(ctx, pending, passkey);
    },
  );
}
