// The card step shared by every eID flow (link, login, registration, reactivation): the page that asks the bridge
// to sign the flow's nonce, and the check of what comes back (the nonce spent whatever the outcome, the token
// verified, a refusal audited with its reason), from the page's form or from `eid-bridge activate`'s JSON.
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
import { browserBinding, type Binding } from '../../domain/flow-state/binding.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import { signInMethod } from '../strategy.ts';

/** A card linked to an active account: the login records how the card's revocation was checked. */
export const eidMethod = signInMethod<{ user: User; card: VerifiedCard }>('eid', { acr: ACR.eid, amr: AMR.eid }, ({ card }) => ({
  revocation: card.revocation,
}));

export interface CardPage extends Record<string, unknown> {
  titleKey: string;
  introKey: string;
  /** Where the form posts the card's answer. */
  action: string;
  flowId: string;
  nonce: string | null;
  /** The list of what the card shares, with the checkbox the holder ticks (see `consented`). */
  consent: boolean;
  /** The command that takes the same step from a terminal, shown where the page cannot reach the card. */
  cli?: string;
}

/** What a flow asks of the card step: its flow type, the state the spent flow moves to, who may answer. */
export interface CardCheck<D extends NonceData = NonceData> {
  type: string;
  /** The flow's state once its nonce is spent; 'done' by default. */
  to?: string;
  /** Whether the flow belongs to this request (its account, its login interaction). */
  owner?: (data: D, userId: string | null) => boolean;
  /** The audit event of a refused card; 'eid.refused' by default. */
  refusedEvent?: string;
}

export interface CardResult<D extends NonceData> {
  card: VerifiedCard;
  answer: CardAnswer;
  flow: Flow<D>;
}

export function createCardStep(services: Pick<Services, 'config' | 'db' | 'flows'>, verifier: EidVerifier) {
  const { config, db, flows } = services;
  const nonces = createNonceService(flows);

  /** Spends the flow's nonce and verifies the card's answer to it; the flow must be `binding`'s. */
  async function check<D extends NonceData>(
    answer: CardAnswer,
    flowId: string,
    binding: Binding,
    ip: string | undefined,
    c: CardCheck<D>,
  ): Promise<CardResult<D>> {
    const { flow, nonce } = await nonces.spend<D>(db, flowId, c.type, binding, c.to ?? 'done');
    if (c.owner && !c.owner(flow.data, flow.user_id)) throw new AppError('flow_unknown', 'eid.error.answer', 400);
    try {
      return { card: await verifier.verify(answer, nonce), answer, flow };
    } catch (e) {
      const reason = (e as AppError).code ?? 'error';
      await audit(db, c.refusedEvent ?? 'eid.refused', { userId: flow.user_id, ip, details: { flow: c.type, id: flow.id, reason } });
      throw e;
    }
  }

  return {
    nonces,

    /** views/pages/eid/card.njk with the bridge's address and where it is downloaded. */
    page(ctx: Context, page: CardPage) {
      renderPage(ctx, 'pages/eid/card.njk', { bridgeUrl: config.eidBridgeUrl, downloadUrl: config.eidBridgeDownloadUrl, ...page });
    },

    /** Refuses a posted answer whose holder did not tick the consent (pages with `consent: true`), before the nonce is spent. */
    async consented(ctx: Context): Promise<void> {
      if ((await body(ctx)).consent !== 'yes') throw new AppError('consent_missing', 'eid.error.consent', 400);
    },

    /** The page's form: the answer and the flow (`flowId`, else the form's `flow` field) of this browser. */
    async verify<D extends NonceData = NonceData>(ctx: Context, c: CardCheck<D>, flowId?: string): Promise<CardResult<D>> {
      const raw = await body(ctx);
      const answer = cardAnswer.safeParse(raw);
      if (!answer.success) throw new AppError('answer_invalid', 'eid.error.answer', 400);
      return check(answer.data, flowId ?? (typeof raw.flow === 'string' ? raw.flow : ''), browserBinding(ctx), ctx.ip, c);
    },

    /** An answer that came as JSON (`eid-bridge activate`), for the flow `binding` holds. */
    check,
  };
}

export type CardStep = ReturnType<typeof createCardStep>;
