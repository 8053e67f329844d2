// Linking a card to the logged-in account (after the consent page listing what is shared), and logging in with
// the card from the login page, which is also the step-up a relying app asks for with acr_values.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context } from 'koa';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { renderMessage } from '../../platform/web/page.ts';
import { audit } from '../../platform/audit.ts';
import { requireUser } from '../self/routes.ts';
import { eidMethod, type CardStep } from '../../methods/eid-card/card-step.ts';
import { loggedInStep } from '../login/logged-in.ts';
import { accountOfCard, findLinkOfUser, formatCardNumber, recordConsent, saveLink } from '../../domain/accounts/eid-links.ts';
import type { NonceData } from '../../methods/eid-card/nonces.ts';
import { asksForEid, wayRefusal } from '../../oidc/step-up.ts';
import { hmacPrefix } from '../../methods/eid-card/verifier.ts';

const LINK_FLOW = 'eid_link';
const LOGIN_FLOW = 'eid_login';

export function eidRoutes(services: Services, cards: CardStep): Router {
  const { config, db, users, provider } = services;
  const { nonces } = cards;
  const signedIn = requireUser(services);
  const loggedIn = loggedInStep(services);
  const router = createRouter();

  function refused(ctx: Context, e: unknown, again: string) {
    if (!isAppError(e)) throw e;
    renderMessage(ctx, e.status, 'eid.refused.title', e.key, { actions: [{ href: again, key: 'eid.again' }], messageParams: e.params });
  }

  router.get('/eid/link', signedIn, async (ctx) => {
    const user = ctx.state.user as User;
    const binding = await services.flowStarts.forBrowser(ctx);
    const [flow, link] = await Promise.all([nonces.start(db, { type: LINK_FLOW, binding, userId: user.id, data: {} }), findLinkOfUser(db, user.id)]);
    cards.page(ctx, {
      titleKey: 'eid.link.title',
      introKey: !link ? 'eid.link.intro' : link.card_number ? 'eid.link.intro_linked' : 'eid.link.intro_linked_unnumbered',
      introParams: { cardNumber: formatCardNumber(link?.card_number ?? '') },
      action: '/eid/link',
      flowId: flow.id,
      nonce: flow.data.nonce,
      consent: true,
      backHref: '/account',
      backKey: 'eid.back_to_account',
    });
  });

  router.post('/eid/link', signedIn, async (ctx) => {
    const user = ctx.state.user as User;
    try {
      await cards.consented(ctx);
      const { card, answer } = await cards.verify(ctx, { type: LINK_FLOW, owner: (_d, userId) => userId === user.id });
      await db.transaction(async (trx) => {
        await saveLink(trx, { userId: user.id, hmac: card.hmac, cardNumber: answer.cardNumber });
        await recordConsent(trx, { userId: user.id, purpose: 'link' });
        await audit(trx, 'eid.linked', { userId: user.id, ip: ctx.ip, details: { card: hmacPrefix(card.hmac), revocation: card.revocation } });
      });
      const message = answer.cardNumber ? 'eid.linked.message' : 'eid.linked.message_unnumbered';
      renderMessage(ctx, 200, 'eid.linked.title', message, {
        messageParams: { cardNumber: formatCardNumber(answer.cardNumber ?? '') },
        actions: [{ href: '/account', key: 'eid.back_to_account' }],
      });
    } catch (e) {
      refused(ctx, e, '/eid/link');
    }
  });

  async function interaction(ctx: Context) {
    const d = await provider().interactionDetails(ctx.req, ctx.res);
    if (d.uid !== ctx.params.uid || d.prompt.name !== 'login') throw new AppError('flow_unknown', 'eid.error.interaction', 400);
    const refusal = wayRefusal(d.params, 'eid');
    if (refusal) throw new AppError('eid_not_accepted', refusal, 403);
    return d;
  }

  router.get('/interaction/:uid/eid', async (ctx) => {
    const d = await interaction(ctx);
    const flow = await nonces.start(db, { type: LOGIN_FLOW, binding: await services.flowStarts.forLogin(ctx, d.uid), data: { uid: d.uid } });
    cards.page(ctx, {
      titleKey: 'eid.login.title',
      introKey: 'eid.login.intro',
      action: `/interaction/${d.uid}/eid`,
      flowId: flow.id,
      nonce: flow.data.nonce,
      consent: false,
      backHref: asksForEid(d.params) ? undefined : `/interaction/${d.uid}`,
      backKey: 'eid.login.password_instead',
    });
  });

  router.post('/interaction/:uid/eid', async (ctx) => {
    const d = await interaction(ctx);
    const again = `/interaction/${d.uid}/eid`;
    try {
      const { card } = await cards.verify<NonceData & { uid: string }>(ctx, { type: LOGIN_FLOW, owner: (data) => data.uid === d.uid });
      const user = await accountOfCard(db, users, card.hmac);
      if (!user) {
        await audit(db, 'login.failure', { ip: ctx.ip, details: { method: eidMethod.id, reason: 'no_account', card: hmacPrefix(card.hmac) } });
        const register = config.eidRegistration
          ? [{ href: `/registration/eid?${new URLSearchParams({ return_to: `/interaction/${d.uid}` })}`, key: 'eid.login.no_account.register' }]
          : [];
        return renderMessage(
          ctx,
          404,
          'eid.login.no_account.title',
          config.eidRegistration ? 'eid.login.no_account.message_register' : 'eid.login.no_account.message',
          { actions: [...register, { href: `/interaction/${d.uid}`, key: 'eid.login.password_instead' }] },
        );
      }
      if (user.status !== 'active') {
        await audit(db, 'login.refused', { userId: user.id, ip: ctx.ip, details: { method: eidMethod.id, status: user.status } });
        const actions = user.status === 'blocked' ? [{ href: '/reactivation', key: 'eid.login.reactivate' }] : [];
        return renderMessage(ctx, 403, 'eid.login.not_active.title', `eid.login.not_active.${user.status}`, { actions });
      }
      // A step-up proves the same person again: another holder's card does not replace the session's account.
      if (d.session?.accountId && d.session.accountId !== user.sub && asksForEid(d.params)) {
        await audit(db, 'login.failure', { userId: user.id, ip: ctx.ip, details: { method: eidMethod.id, reason: 'other_person' } });
        throw new AppError('eid_other_person', 'eid.error.other_person', 403);
      }
      await loggedIn(ctx, eidMethod.login({ user, card }));
    } catch (e) {
      refused(ctx, e, again);
    }
  });

  return router;
}
