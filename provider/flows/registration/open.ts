// Open sign-up: anyone with an e-mail address; signing up again from the same browser replaces the pending account.
import { randomUUID } from 'node:crypto';
import { signedCookie } from '../../platform/web/cookies.ts';
import Router from '@koa/router';
import { SIGN_UP_COOKIE, type RegistrationSteps } from './steps.ts';
import { schemas } from './forms.ts';

export function openSignUpRoutes(router: Router, steps: RegistrationSteps): void {
  const { config, service, signUpOf, complete, signUpForm } = steps;
  signUpForm(router, 'open', schemas.open, async (ctx, flow, d) => {
    const s = await signUpOf(ctx, flow, d);
    let account: string | undefined;
    await complete(ctx, flow, s.email, { email: s.email }, async (trx) => {
      const result = await service.signUpOpen(trx, s, ctx.cookies.get(SIGN_UP_COOKIE, { signed: true }));
      account = result.account;
      return result;
    });
    // Set after every sign-up, a known address's included (to a value naming nothing), so that the cookie tells
    // nobody whether the address had an account.
    ctx.cookies.set(SIGN_UP_COOKIE, account ?? randomUUID(), signedCookie(ctx, { path: '/registration', maxAge: config.activationTtl * 1000 }));
  });
}
