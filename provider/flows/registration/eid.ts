// eID sign-up: the card first (consent, PIN in the bridge), then the address and a password; the name is the card's.
import Router from '@koa/router';
import type { Context } from 'koa';
import { addressOf, FLOW, FORM_TTL, type FlowData, type RegistrationSteps } from './steps.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { bodyFields } from '../../platform/web/form.ts';
import { renderMessage, safeReturnPath } from '../../platform/web/page.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { check, echo, schemas } from './forms.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
import { accountOfCard, formatCardNumber } from '../../domain/accounts/eid-links.ts';
import type { NonceData } from '../../methods/eid-card/nonces.ts';
import { hmacPrefix } from '../../methods/eid-card/verifier.ts';
import { audit } from '../../platform/audit.ts';

export function eidSignUpRoutes(router: Router, steps: RegistrationSteps): void {
  const { db, flows, cards, service, policy, limits, enabled, take, loadFlow, sentPage, showForm, signUpOf, complete, services } = steps;
  // eID: the card first (consent, PIN in the bridge), then the address and a password; the name is the card's.

  async function eidForm(ctx: Context, id: unknown): Promise<Flow<FlowData>> {
    const flow = await loadFlow(ctx, id, 'eid');
    if (!flow.data.card) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
    return flow;
  }

  const showEid = (ctx: Context, flow: Flow<FlowData>, extra: { values?: Record<string, string>; errors?: FormErrors } = {}) =>
    showForm(ctx, 'eid', flow, {
      card: flow.data.card,
      cardNumber: flow.data.card?.cardNumber ? formatCardNumber(flow.data.card.cardNumber) : undefined,
      ...extra,
    });

  router.get('/registration/eid', async (ctx) => {
    enabled('eid');
    const returnTo = typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined;
    const flow = await cards.nonces.start<FlowData>(db, {
      type: FLOW,
      binding: await services.flowStarts.forBrowser(ctx),
      data: { mode: 'eid', ...(returnTo ? { returnTo } : {}) },
      ttlSeconds: FORM_TTL,
    });
    cards.page(ctx, {
      titleKey: 'registration.eid.card_title',
      introKey: 'registration.eid.card_intro',
      action: '/registration/eid',
      flowId: flow.id,
      nonce: flow.data.nonce,
      consent: true,
      backHref: '/registration',
      backKey: 'registration.eid.other_ways',
    });
  });

  router.post('/registration/eid', async (ctx) => {
    enabled('eid');
    const again = [{ href: '/registration/eid', key: 'eid.again' }];
    try {
      await cards.consented(ctx);
      await take(limits.ip, addressOf(ctx));
      const { card, answer, flow } = await cards.verify<FlowData & NonceData>(ctx, { type: FLOW, owner: (data) => data.mode === 'eid', to: 'card_read' });
      // The card's holder proved who they are: telling them their own card has an account reveals nobody else's.
      const holder = await accountOfCard(db, services.users, card.hmac);
      if (holder && holder.status !== 'pending') {
        await audit(db, 'registration.eid_has_account', { userId: holder.id, ip: ctx.ip, details: { card: hmacPrefix(card.hmac) } });
        return renderMessage(ctx, 409, 'registration.eid.has_account.title', 'registration.eid.has_account.message', {
          actions: [
            { href: flow.data.returnTo ?? '/account', key: 'registration.eid.has_account.login' },
            { href: '/reactivation', key: 'registration.eid.has_account.reactivate' },
          ],
        });
      }
      await flows.transition(db, flow, 'card_read', 'form', {
        card: { hmac: card.hmac, givenNames: card.givenNames, surname: card.surname, cardNumber: answer.cardNumber },
      });
      ctx.status = 303;
      ctx.redirect(`/registration/eid/details?flow=${flow.id}`);
    } catch (e) {
      if (!isAppError(e)) throw e;
      renderMessage(ctx, e.status, 'eid.refused.title', e.key, { actions: again, messageParams: e.params });
    }
  });

  router.get('/registration/eid/details', async (ctx) => {
    enabled('eid');
    const flow = await eidForm(ctx, ctx.query.flow);
    if (flow.state !== 'form') return sentPage(ctx, flow);
    showEid(ctx, flow);
  });

  router.post('/registration/eid/details', async (ctx) => {
    enabled('eid');
    const raw = await bodyFields(ctx);
    const flow = await eidForm(ctx, raw.flow);
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const card = flow.data.card!;
    const checked = check(schemas.eid, raw, policy, (d) => ({ email: d.email as string }));
    if (!checked.ok) return showEid(ctx, flow, { values: echo(raw), errors: checked.errors });
    const s = await signUpOf(ctx, flow, { ...checked.data, given_name: card.givenNames, family_name: card.surname });
    await complete(ctx, flow, `eid:${card.hmac}`, { email: s.email }, (trx) => service.signUpEid(trx, { hmac: card.hmac, cardNumber: card.cardNumber }, s));
  });
}
