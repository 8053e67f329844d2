// The JSON endpoints of `eid-bridge activate` (contract: card-bridge/reactivation.ts). They run the same service as
// the pages. A terminal cannot solve the CAPTCHA: instead, starts are limited per mobile number and per IP address
// (RATE_LIMIT_REACTIVATION), and the card's signature is what proves a person is there. The card number cannot be
// confirmed interactively either: the answer carries it with the token, and the CLI prints both together, so the
// holder compares the number before typing the token anywhere. Mounted outside the pages' CSRF middleware: no
// cookie is read or set here.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Services } from '../../server.ts';
import { parseMobile } from '../../accounts/phone.ts';
import { AppError, isAppError } from '../../errors.ts';
import { parseBody } from '../../http/form.ts';
import { requestLocale } from '../../http/locale.ts';
import { translate } from '../../http/i18n.ts';
import { cardAnswer, refusalKey } from '../eid/card-answer.ts';
import { formatCardNumber } from '../eid/links.ts';
import type { EidVerifier } from '../eid/verifier.ts';
import { createReactivationService } from './service.ts';

const tokenRequest = cardAnswer.extend({ flowId: z.string().max(100) });

export function reactivationApi(services: Services, verifier: EidVerifier): Router {
  const reactivation = createReactivationService(services, verifier);
  const router = new Router({ prefix: '/eid/reactivation' });

  // Every refusal as {error, message}, the message in the caller's language (Accept-Language).
  router.use(async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (e) {
      if (!isAppError(e)) throw e;
      ctx.status = e.status;
      ctx.body = { error: e.code, message: translate(requestLocale(ctx), refusalKey(e), e.params) };
    }
  });

  router.post('/nonce', async (ctx) => {
    const { mobile } = await parseBody(ctx, z.object({ mobile: z.string().max(40) }));
    const parsed = parseMobile(mobile, services.config.phoneDefaultRegion);
    if (!parsed.ok) throw new AppError('mobile_invalid', `account.phone.error.${parsed.problem}`, 400, parsed.example);
    const flow = await reactivation.start(parsed.e164, { ip: ctx.ip });
    ctx.body = { flowId: flow.id, nonce: flow.data.nonce };
  });

  router.post('/token', async (ctx) => {
    const request = await parseBody(ctx, tokenRequest);
    const { flow } = await reactivation.checkCard(request.flowId, request, { ip: ctx.ip });
    const { token, cardNumber } = await reactivation.issueToken(flow.id, { ip: ctx.ip });
    ctx.body = { cardNumber: formatCardNumber(cardNumber), activationToken: token };
  });

  return router;
}
