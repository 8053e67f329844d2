// The JSON endpoints of `eid-bridge activate` (contract: card-bridge/contract/reactivation.ts). They run the same service as
// the pages. A terminal cannot solve the CAPTCHA: instead, starts are limited per requester, and the card's
// signature is what proves a person is there. The card number cannot be confirmed interactively either: the answer
// carries it with the token, and the CLI prints both together, so the holder compares the number before typing
// the token anywhere. The nonce's answer hands out a flow secret that the token request must show: the flow is
// the terminal's, and the pages refuse it. Only JSON from no page, or from the provider's own origin, is taken: a
// cross-site page can post a form or text/plain, never application/json without a preflight that is not answered.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { parseMobile } from '../../domain/accounts/phone.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { parseBody } from '../../platform/web/form.ts';
import { requestLocale } from '../../platform/web/locale.ts';
import { translate } from '../../platform/web/i18n.ts';
import { cardAnswer } from '../../methods/eid-card/card-answer.ts';
import { formatCardNumber } from '../../domain/accounts/eid-links.ts';
import { apiBinding, newApiSecret } from '../../domain/flow-state/binding.ts';
import type { ReactivationService } from './service.ts';
import type { CardStep } from '../../methods/eid-card/card-step.ts';
import { CARD } from './states.ts';
import type { ErrorResponse, TokenResponse } from '../../../card-bridge/contract/reactivation.ts';

const tokenRequest = cardAnswer.extend({ flowId: z.string().max(100), flowSecret: z.string().min(1).max(100) });

export function reactivationApi(services: Services, reactivation: ReactivationService, cards: CardStep): Router {
  const router = createRouter({ prefix: '/eid/reactivation' });
  const ownOrigin = new URL(services.config.issuerUrl).origin;

  // Every refusal as {error, message}, the message in the caller's language (Accept-Language).
  router.use(async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      if (!ctx.is('application/json')) throw new AppError('unsupported_media_type', 'error.json_only', 415);
      const origin = ctx.get('origin');
      if (origin && origin !== ownOrigin) throw new AppError('csrf', 'error.json_origin', 403);
      await next();
    } catch (e) {
      if (!isAppError(e)) throw e;
      ctx.status = e.status;
      ctx.body = { error: e.code, message: translate(requestLocale(ctx), e.key, e.params) } satisfies ErrorResponse;
    }
  });

  router.post('/nonce', async (ctx) => {
    const { mobile } = await parseBody(ctx, z.object({ mobile: z.string().max(40) }));
    const parsed = parseMobile(mobile, services.config.phoneDefaultRegion);
    if (!parsed.ok) throw new AppError('mobile_invalid', `account.phone.error.${parsed.problem}`, 400, parsed.example);
    const { secret, binding } = newApiSecret();
    const flow = await reactivation.start(parsed.e164, { ip: ctx.ip }, binding);
    ctx.body = { flowId: flow.id, flowSecret: secret, nonce: flow.data.nonce };
  });

  router.post('/token', async (ctx) => {
    const request = await parseBody(ctx, tokenRequest);
    const binding = apiBinding(request.flowSecret);
    const { flow, card } = await cards.check(request, request.flowId, binding, ctx.ip, CARD);
    await reactivation.cardVerified(flow, card, request.cardNumber, { ip: ctx.ip });
    const { token, cardNumber } = await reactivation.issueToken(flow.id, { ip: ctx.ip }, binding);
    ctx.body = { cardNumber: formatCardNumber(cardNumber), activationToken: token } satisfies TokenResponse;
  });

  return router;
}
