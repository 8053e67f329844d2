// Reactivating an account with the eID card (the seed's itsme flow): a mobile number, the card's signature over a
// nonce, the account found by the HMAC of the national number, the card number confirmed by the holder, then a
// 6-character activation token (Crockford base32, ACTIVATION_TOKEN_TTL, once) bound to that account and number.
// On the device being reactivated the token and the mobile number, then the SMS code texted to that number (also
// when it is the account's own: whoever redeems must hold the phone), lead to a new password. The account is then
// active, every other session and token of it is revoked, and a mail and SMS to its earlier contacts say so, the
// mail with a link that locks the account again if it was not the owner.
//
// Every step is bound to whoever started the flow (../binding.ts): a flow id sent to someone else is useless.
// Limits count requesters, never only the number, so that nobody can use up an owner's quota: tokens obtained
// per number and requester (after the card or bank proved the account), wrong tokens per number and requester
// under a higher ceiling per number; a wrong token never voids the owner's token.
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { createPhoneVerification } from '../../domain/accounts/phone-verification.ts';
import { AppError } from '../../platform/errors.ts';
import { consumeOrRefuse, consumeWithin, createLimiter, type Limiter } from '../../domain/guards/rate-limit.ts';
import { clientAddressKey } from '../../domain/guards/throttle.ts';
import { createTokenGuesses, numberAndRequester } from './token-guesses.ts';
import { notifyReactivation } from './notify.ts';
import { endAccountAccess } from '../../domain/accounts/end-access.ts';
import { normaliseCode } from '../../domain/tokens/one-time.ts';
import { audit } from '../../platform/audit.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import type { Binding } from '../../domain/flow-state/binding.ts';
import { AWAITING_CARD, createNonceService } from '../../methods/eid-card/nonces.ts';
import { hmacPrefix, type VerifiedCard } from '../../methods/eid-card/verifier.ts';
import { accountOfCard, recordConsent, saveLink, findLinkOfUser } from '../../domain/accounts/eid-links.ts';
import { removeAllPasskeys } from '../../domain/passkeys/repository.ts';
import { removeAllLinks } from '../../domain/upstreams/repository.ts';
import { REACTIVATION_REPORT_PURPOSE } from '../../domain/accounts/reset-link.ts';
import { createTotpMethod } from '../../methods/second-factor/totp.ts';

import {
  ACCOUNT_FLOW,
  ACTIVATION_PURPOSE,
  CARD,
  FLOW_TTL_SECONDS,
  HOUR,
  REACTIVATION_FLOW,
  type AccountData,
  type CompleteOutcome,
  type ReactivationData,
  type RedeemOutcome,
  type Request,
} from './states.ts';

const flowEnded = () => new AppError('flow_ended', 'reactivation.error.ended', 410);

const take = (limiter: Limiter, key: string) => consumeOrRefuse(limiter, key, 'reactivation.error.too_many');

export function createReactivationService(services: Services) {
  const { config, db, users, hasher, tokens, flows } = services;
  const nonces = createNonceService(flows);
  const policy = createPasswordPolicy(config);
  const phone = createPhoneVerification(services);
  const totp = createTotpMethod(config, db);
  const limiter = (keyPrefix: string, points: number) => createLimiter(db, { keyPrefix, points, durationSeconds: HOUR });
  const startsPerRequester = limiter('reactivation_start', config.rateLimitReactivation * 4);
  const tokensPerRequester = limiter('reactivation_token', config.rateLimitReactivation);
  // The addresses where the card or a bank proved the account whose verified number the flow names: the owner's likely
  // ones, whose token tries have a place of their own (token-guesses.ts). Someone proving his own account while naming
  // her number earns none.
  const ownerProofs = limiter('reactivation_owner_proof', config.rateLimitReactivation);
  const guesses = createTokenGuesses(db, config, ownerProofs);
  const requester = (ip: string | undefined) => clientAddressKey(ip ?? 'unknown');

  async function account(flow: Flow<AccountData>, state: string): Promise<User> {
    if (flow.state !== state) throw new AppError('flow_conflict', 'reactivation.error.step', 409);
    const user = flow.user_id ? await users.findById(db, flow.user_id) : undefined;
    if (!user) throw new AppError('flow_unknown', 'reactivation.error.step', 404);
    await reactivatable(user, flow.id);
    if (user.access_generation !== flow.data.generation) throw flowEnded();
    return user;
  }

  /** Staff locked the account (misuse): the card or a bank proves who the person is, but does not undo a lock. */
  async function reactivatable(user: User, flowId: string): Promise<User> {
    if (user.status !== 'locked') return user;
    await audit(db, 'reactivation.refused_locked', { userId: user.id, details: { flow: flowId } });
    throw new AppError('account_locked', 'reactivation.error.locked', 403);
  }

  /** The card or the bank proved the account: counts a token for this number and requester. */
  const proved = async (flow: Flow<ReactivationData>, user: User, ip: string | undefined) => {
    const key = numberAndRequester(flow.data.mobile, ip);
    await take(tokensPerRequester, key);
    if (user.phone_number_verified && user.phone_number === flow.data.mobile) await consumeWithin(ownerProofs, key);
  };

  return {
    ttlMinutes: Math.round(config.activationTokenTtl / 60),
    policy,

    /** A reactivation flow for `mobile` (E.164) with its nonce, bound to `binding`; limited per requester. */
    async start(mobile: string, r: Pick<Request, 'ip'>, binding: Binding): Promise<Flow<ReactivationData>> {
      await take(startsPerRequester, requester(r.ip));
      const flow = await nonces.start(db, { type: REACTIVATION_FLOW, binding, data: { mobile }, ttlSeconds: FLOW_TTL_SECONDS });
      await audit(db, 'reactivation.started', { ip: r.ip, details: { flow: flow.id } });
      return flow;
    },

    get: (flowId: string, binding: Binding) => flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW, binding),

    /** The card step verified the card (methods/eid-card/card-step.ts): finds its account; nothing else changes on a refusal. */
    async cardVerified(
      flow: Flow<ReactivationData>,
      card: VerifiedCard,
      cardNumber: string | undefined,
      r: Pick<Request, 'ip'>,
    ): Promise<Flow<ReactivationData>> {
      const user = await accountOfCard(db, users, card.hmac);
      if (!user || user.status === 'pending') {
        await audit(db, 'reactivation.no_account', { ip: r.ip, details: { flow: flow.id, card: hmacPrefix(card.hmac) } });
        throw new AppError('no_account', 'reactivation.error.no_account', 404);
      }
      await reactivatable(user, flow.id);
      await proved(flow, user, r.ip);
      const checked = await flows.transition(db, flow, CARD.to, 'card_checked', { cardNumber }, user.id);
      await audit(db, 'reactivation.card_verified', { userId: user.id, ip: r.ip, details: { flow: flow.id, revocation: card.revocation } });
      return checked;
    },

    /**
     * A trusted upstream (a bank, provider/methods/upstream) proved who the person is instead of the card: the same
     * next step. Unless it `vouches` (accountOfIdentity), its identity proves no more than the login that linked it.
     */
    async vouchedByUpstream(
      flowId: string,
      user: User,
      upstream: string,
      vouches: boolean,
      r: Pick<Request, 'ip'>,
      binding: Binding,
    ): Promise<Flow<ReactivationData>> {
      const flow = await flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW, binding);
      if (user.status === 'pending') throw new AppError('no_account', 'reactivation.error.no_account', 404);
      await reactivatable(user, flow.id);
      if (!vouches) {
        await audit(db, 'reactivation.upstream_refused', { userId: user.id, ip: r.ip, details: { flow: flow.id, upstream, reason: 'login_link' } });
        throw new AppError('upstream_link_cannot_vouch', 'upstream.error.link_cannot_vouch', 403, { name: upstream });
      }
      await proved(flow, user, r.ip);
      const checked = await flows.transition(db, flow, AWAITING_CARD, 'card_checked', { nonce: null, upstream }, user.id);
      await audit(db, 'reactivation.upstream_verified', { userId: user.id, ip: r.ip, details: { flow: flow.id, upstream } });
      return checked;
    },

    /** The holder confirmed the card number: the activation token, shown once to the flow's starter, and the consent recorded. */
    async issueToken(flowId: string, r: Pick<Request, 'ip'>, binding: Binding): Promise<{ token: string; cardNumber: string; upstream?: string }> {
      const flow = await flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW, binding);
      if (flow.state !== 'card_checked' || !flow.user_id) throw new AppError('flow_conflict', 'reactivation.error.step', 409);
      const { cardNumber = '', upstream } = flow.data;
      return db.transaction(async (trx) => {
        await flows.transition(trx, flow, 'card_checked', 'token_issued');
        const { token } = await tokens.issue(trx, {
          purpose: ACTIVATION_PURPOSE,
          userId: flow.user_id,
          flowId: flow.id,
          ttlSeconds: config.activationTokenTtl,
          format: { kind: 'code', length: 6 },
          data: { mobile: flow.data.mobile, cardNumber, ...(upstream ? { upstream } : {}) },
          replacePrevious: true,
        });
        // The consent lists what the card shares; an upstream shared none of it.
        if (!upstream) await recordConsent(trx, { userId: flow.user_id!, purpose: 'reactivation' });
        await audit(trx, 'reactivation.token_issued', { userId: flow.user_id, ip: r.ip, details: { flow: flow.id } });
        return { token, cardNumber, upstream };
      });
    },

    /**
     * The token typed on the device being reactivated, with the mobile number it was asked for: found by both
     * together, each try counted first (token-guesses.ts). An SMS code to the number comes next.
     */
    async redeem(mobile: string, typed: string, r: Request, binding: Binding): Promise<RedeemOutcome> {
      const counted = await guesses.begin(mobile, r.ip);
      if ('status' in counted) return counted;
      const code = normaliseCode(typed);
      const found = await tokens.peek(db, ACTIVATION_PURPOSE, code).catch(async (e: unknown) => {
        await counted.wrong();
        throw e;
      });
      // Live or spent, a token of another number answers as no token at all.
      if (found.status === 'invalid' || found.status === 'wrong' || found.token?.data.mobile !== mobile) return counted.wrong();
      await counted.found();
      if (found.status !== 'ok') return { status: found.status };
      const { user_id: userId, data, flow_id: flowId } = found.token;
      const user = await reactivatable((await users.findById(db, userId!))!, flowId ?? '');
      // The SMS is checked before the token is spent: a refused SMS leaves the token for a later try.
      if (!(await phone.canText(db, user))) throw new AppError('sms_refused', 'reactivation.error.sms', 429);
      const spent = await tokens.redeemLink(db, ACTIVATION_PURPOSE, code);
      if (spent.status !== 'ok') return { status: spent.status === 'expired' ? 'expired' : 'used' };
      const previousMobile = user.phone_number_verified && user.phone_number !== mobile ? user.phone_number : undefined;
      return db.transaction(async (trx) => {
        const flow = await flows.create<AccountData>(trx, {
          type: ACCOUNT_FLOW,
          state: 'phone',
          binding,
          userId,
          data: {
            mobile,
            cardNumber: String(data.cardNumber),
            ...(typeof data.upstream === 'string' && data.upstream ? { upstream: data.upstream } : {}),
            ...(previousMobile ? { previousMobile } : {}),
            generation: user.access_generation,
          },
          ttlSeconds: FLOW_TTL_SECONDS,
        });
        const sent = await phone.startPhoneVerification(trx, user, mobile, localeOf(user, r.locale), {
          again: true,
          anyCountry: true,
          text: 'reactivation.sms.code',
        });
        if (!sent.ok) throw new AppError('sms_refused', 'reactivation.error.sms', 429);
        await audit(trx, 'reactivation.token_redeemed', { userId, ip: r.ip, details: { newMobile: !!previousMobile || !user.phone_number_verified } });
        return { status: 'ok' as const, flow };
      });
    },

    account: (flowId: string, binding: Binding) => flows.get<AccountData>(db, flowId, ACCOUNT_FLOW, binding),

    /** The SMS code sent to the mobile number: right, the number is the account's and the password is next. */
    async confirmPhone(flow: Flow<AccountData>, code: string) {
      const user = await account(flow, 'phone');
      // The reactivation's own mails tell the address and the earlier and new numbers (notify, at the end).
      const outcome = await phone.confirmPhoneVerification(db, user, code, { tellOwner: false });
      if (outcome.status === 'ok') await flows.transition(db, flow, 'phone', 'password');
      return outcome;
    },

    /** The account the flow reactivates, for its password page to name. */
    person: (flow: Flow<AccountData>) => account(flow, flow.state),

    /** The new password: the account is active again, every session and token of it ends, mail and SMS tell. */
    async complete(flow: Flow<AccountData>, password: string, r: Request): Promise<CompleteOutcome> {
      const user = await account(flow, 'password');
      const checked = policy.check(password, { username: user.username, email: user.email });
      if (!checked.ok) return { status: 'weak', failures: checked.failures };
      const hash = await hasher.hash(password);
      const now = new Date();
      await db.transaction(async (trx) => {
        // The account as the flow's steps read it: a lock, a new password or another reactivation since then voids this one.
        if (!(await users.reactivate(trx, user.id, flow.data.generation))) {
          const current = await users.findById(trx, user.id);
          throw current?.status === 'locked' ? new AppError('account_locked', 'reactivation.error.locked', 403) : flowEnded();
        }
        await flows.transition(trx, flow, 'password', 'done');
        await users.updatePasswordHash(trx, user.id, hash);
        const link = await findLinkOfUser(trx, user.id);
        // An upstream's vouching names no card: the card's record stays as it was.
        if (link && flow.data.cardNumber) await saveLink(trx, { userId: user.id, hmac: link.national_number_hmac, cardNumber: flow.data.cardNumber }, now);
        await tokens.voidAll(trx, { purpose: ACTIVATION_PURPOSE, userId: user.id });
        await endAccountAccess(trx, tokens, user);
        // The account was taken from its holder or suspected so: a passkey added meanwhile must not outlive the new password.
        const passkeysRemoved = await removeAllPasskeys(trx, user.id);
        // So must a bank identity linked meanwhile (the login's link step takes the password alone): it logs in without
        // one, and would vouch for the next reactivation. The owner links her own again from her account.
        const upstreamLinksRemoved = await removeAllLinks(trx, user.id);
        // Whoever takes an account back this way may have lost the phone with the app: the identity just proved
        // stands in for it, and a second factor can be added again.
        await totp.remove(trx, user, 'reactivation', { ip: r.ip });
        await notifyReactivation(trx, { tokens, issuerUrl: config.issuerUrl }, (await users.findById(trx, user.id))!, flow, now, localeOf(user, r.locale));
        await audit(trx, 'reactivation.completed', {
          userId: user.id,
          ip: r.ip,
          details: { previousStatus: user.status, path: flow.data.upstream ? 'upstream' : 'eid', passkeysRemoved, upstreamLinksRemoved },
        });
      });
      return { status: 'ok', user };
    },

    /** "It was not me" from the mail: the account is locked (only staff unlock it) and every session ends. */
    async report(token: string, r: Pick<Request, 'ip'>): Promise<'locked' | 'invalid'> {
      const spent = await tokens.redeemLink(db, REACTIVATION_REPORT_PURPOSE, token);
      if (spent.status !== 'ok' || !spent.token.user_id) return 'invalid';
      const user = await users.findById(db, spent.token.user_id);
      if (!user) return 'invalid';
      await db.transaction(async (trx) => {
        await users.setStatus(trx, user.id, 'locked');
        await endAccountAccess(trx, tokens, user);
        await audit(trx, 'reactivation.reported', { userId: user.id, ip: r.ip, details: { previous: user.status } });
      });
      return 'locked';
    },

    /** Whether a report link still works (the page before the button). */
    reportable: async (token: string) => (await tokens.peek(db, REACTIVATION_REPORT_PURPOSE, token)).status === 'ok',
  };
}

export type ReactivationService = ReturnType<typeof createReactivationService>;
