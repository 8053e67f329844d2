// "Use a passkey" at the second step of a login: the options name only the passkeys of the account the first step
// proved, the answer must come from one of them, in this browser, for this interaction, once.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { User } from '../../domain/accounts/repository.ts';
import { browserBinding, type FlowStarts } from '../../domain/flow-state/binding.ts';
import type { PasskeyFactor } from '../../methods/second-factor/passkey.ts';
import type { SecondFactor } from '../../methods/second-factor/factor.ts';
import { loginForm } from '../../methods/passkey/webauthn.ts';
import { parseBody } from '../../platform/web/form.ts';
import { isAppError } from '../../platform/errors.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { z } from 'zod';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
/** The second step a browser is at: the account its first step proved, and at which stage. */
type Step = { p: { stage: string }; user: User };

export interface PasskeyStepDeps<S extends Step> {
  passkey: PasskeyFactor;
  flowStarts: FlowStarts;
  pendingOf(ctx: Context, d: Interaction): Promise<S | undefined>;
  codePage(ctx: Context, d: Interaction, user: User, errors?: FormErrors): Promise<void>;
  done(ctx: Context, step: S, factor: Pick<SecondFactor, 'kind' | 'amr'>): Promise<void>;
}

export function passkeyStepRoutes<S extends Step>(router: Router, { passkey, flowStarts, pendingOf, codePage, done }: PasskeyStepDeps<S>) {
  /** The step this browser is at, if it is the code-or-passkey step of this interaction. */
  async function step(ctx: Context) {
    const d = ctx.state.interaction as Interaction;
    const pending = await pendingOf(ctx, d);
    return { d, pending: pending?.p.stage === 'code' ? pending : undefined };
  }

  router.post('/interaction/:uid/second-factor/passkey/options', async (ctx) => {
    const { d, pending } = await step(ctx);
    ctx.set('Cache-Control', 'no-store');
    // The page's script reloads on anything but JSON: the reload shows where the login stands.
    if (!pending) return ctx.redirect(`/interaction/${d.uid}`);
    ctx.body = await passkey.options(pending.user, await flowStarts.forAccount(ctx, pending.user.id), d.uid);
  });

  router.post('/interaction/:uid/second-factor/passkey', async (ctx) => {
    const { d, pending } = await step(ctx);
    if (!pending) return ctx.redirect(`/interaction/${d.uid}`);
    const input = loginForm.safeParse(await parseBody(ctx, z.record(z.string(), z.unknown())));
    if (!input.success) {
      ctx.status = 400;
      return codePage(ctx, d, pending.user, formError('form', 'passkeys.error.invalid'));
    }
    try {
      const r = await passkey.check(pending.user, {
        flowId: input.data.flow,
        binding: browserBinding(ctx),
        response: input.data.response,
        uid: d.uid,
        ip: ctx.ip,
      });
      if (r.ok) return done(ctx, pending, passkey);
      ctx.status = r.error.status;
      return codePage(ctx, d, pending.user, formError('form', r.error.key, r.error.params));
    } catch (e) {
      if (!(isAppError(e) && e.code === 'try_again')) throw e;
      ctx.status = 429;
      return codePage(ctx, d, pending.user, formError('form', 'error.try_again', e.params));
    }
  });
}
