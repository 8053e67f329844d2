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

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
/** The second step a browser is at: the account its first step proved, and at which stage. */
export type Step = { p: { stage: string }; user: User };

/**
 * A passkey ceremony at one stage of the second step: `path/options` gives the page's script the options (JSON), and
 * `path` takes the authenticator's answer. A browser that is not at that stage of this interaction is sent back to
 * where the login stands; the page's script reloads on anything but JSON, and the reload shows it.
 */
export function passkeyCeremony<S extends Step>(
  router: Router,
  { path, stage, pendingOf }: { path: string; stage: string; pendingOf(ctx: Context, d: Interaction): Promise<S | undefined> },
  options: (ctx: Context, d: Interaction, pending: S) => Promise<unknown>,
  answer: (ctx: Context, d: Interaction, pending: S) => Promise<void>,
) {
  async function at(ctx: Context, then: (d: Interaction, pending: S) => Promise<void>) {
    const d = ctx.state.interaction as Interaction;
    const pending = await pendingOf(ctx, d);
    if (pending?.p.stage !== stage) return ctx.redirect(`/interaction/${d.uid}`);
    await then(d, pending);
  }
  router.post(`${path}/options`, (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    return at(ctx, async (d, pending) => {
      ctx.body = await options(ctx, d, pending);
    });
  });
  router.post(path, (ctx) => at(ctx, (d, pending) => answer(ctx, d, pending)));
}

export interface PasskeyStepDeps<S extends Step> {
  passkey: PasskeyFactor;
  flowStarts: FlowStarts;
  pendingOf(ctx: Context, d: Interaction): Promise<S | undefined>;
  codePage(ctx: Context, d: Interaction, user: User, errors?: FormErrors): Promise<void>;
  done(ctx: Context, step: S, factor: Pick<SecondFactor, 'kind' | 'amr'>): Promise<void>;
}

export function passkeyStepRoutes<S extends Step>(router: Router, { passkey, flowStarts, pendingOf, codePage, done }: PasskeyStepDeps<S>) {
  passkeyCeremony(
    router,
    { path: '/interaction/:uid/second-factor/passkey', stage: 'code', pendingOf },
    async (ctx, d, pending) => passkey.options(pending.user, await flowStarts.forAccount(ctx, pending.user.id), d.uid),
    async (ctx, d, pending) => {
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
    },
  );
}
