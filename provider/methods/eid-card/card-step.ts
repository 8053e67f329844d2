// The card step shared by every eID page flow (link, login, registration): the page that asks the bridge to sign
// the flow's nonce, and the check of what the page posts back (the nonce spent whatever the outcome, the token
// verified, a refusal audited with its reason).
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import { AppError } from '../../platform/errors.ts';
import { body } from '../../platform/web/form.ts';
import { renderPage } from '../../platform/web/page.ts';
import { audit } from '../../platform/audit.ts';
import { cardAnswer, type CardAnswer } from './card-answer.ts';
import { createNonceService, type NonceData } from './nonces.ts';
import type { EidVerifier, VerifiedCard } from './verifier.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';

export interface CardPage extends Record<string, unknown> {
  titleKey: string;
  flowId: string;
  nonce: string | null;
}

export function createCardStep(services: Pick<Services, 'config' | 'db' | 'flows'>, verifier: EidVerifier) {
  const { config, db, flows } = services;
  const nonces = createNonceService(flows);
  return {
    nonces,

    /** views/pages/eid/card.njk with the bridge's address. */
    page(ctx: Context, page: CardPage) {
      renderPage(ctx, 'pages/eid/card.njk', { bridgeUrl: config.eidBridgeUrl, ...page });
    },

    /**
     * Spends the posted flow's nonce (moving the flow to `to`) and verifies the card's answer; the flow must be this
     * browser's, and `owner` checks that it belongs to this request (its account, its login interaction).
     */
    async verify<D extends NonceData = NonceData>(
      ctx: Context,
      type: string,
      owner: (data: D, userId: string | null) => boolean,
      to = 'done',
    ): Promise<{ card: VerifiedCard; answer: CardAnswer; flow: Flow<D> }> {
      const raw = await body(ctx);
      const answer = cardAnswer.safeParse(raw);
      if (!answer.success) throw new AppError('answer_invalid', 'eid.error.answer', 400);
      const { flow, nonce } = await nonces.spend<D>(db, typeof raw.flow === 'string' ? raw.flow : '', type, browserBinding(ctx), to);
      if (!owner(flow.data, flow.user_id)) throw new AppError('flow_unknown', 'eid.error.answer', 400);
      try {
        return { card: await verifier.verify(answer.data, nonce), answer: answer.data, flow };
      } catch (e) {
        await audit(db, 'eid.refused', { userId: flow.user_id, ip: ctx.ip, details: { flow: type, reason: (e as AppError).code ?? 'error' } });
        throw e;
      }
    },
  };
}

export type CardStep = ReturnType<typeof createCardStep>;
