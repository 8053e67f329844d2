// Reactivating an account with the eID card (the seed's itsme flow): a mobile number, the card's signature over a
// nonce, the account found by the HMAC of the national number, the card number confirmed by the holder, then a
// 6-character activation token (Crockford base32, ACTIVATION_TOKEN_TTL, once, 5 tries) bound to that account. On
// the device being reactivated the token and the mobile number lead to a new password; a mobile number other than
// the verified one must first be proven by its SMS code. The account is then active, every other session and
// token of it is revoked, and a mail and an SMS say so.
import type { Knex } from 'knex';
import type { Services } from '../../server.ts';
import type { User } from '../../accounts/repository.ts';
import { createPasswordPolicy, type RuleFailure } from '../../accounts/password-policy.ts';
import { createPhoneVerification } from '../../accounts/phone-verification.ts';
import { AppError } from '../../errors.ts';
import { isLocale, translate, type Locale } from '../../http/i18n.ts';
import { createLimiter, isRateLimited } from '../../http/rate-limit.ts';
import { codeEntryThrottle } from '../../http/throttle.ts';
import { enqueueSms } from '../../messaging/outbox.ts';
import { enqueueNotice } from '../../messaging/notice.ts';
import { endAccountAccess } from '../../accounts/end-access.ts';
import { audit } from '../../audit.ts';
import type { Flow } from '../store.ts';
import { AWAITING_CARD, createNonceService, type NonceData } from '../eid/nonces.ts';
import { hmacPrefix, type EidVerifier } from '../eid/verifier.ts';
import { accountOfCard, recordConsent, saveLink } from '../eid/links.ts';
import type { CardAnswer } from '../eid/card-answer.ts';

export const REACTIVATION_FLOW = 'reactivation';
export const ACCOUNT_FLOW = 'reactivation_account';
export const ACTIVATION_PURPOSE = 'activation_token';
export const ACTIVATION_TOKEN_TRIES = 5;
const FLOW_TTL_SECONDS = 1800;

interface ReactivationData extends NonceData {
  mobile: string;
  cardNumber?: string;
  /** The upstream provider that vouched for the account instead of the card (provider/upstream). */
  upstream?: string;
}

interface AccountData extends Record<string, unknown> {
  mobile: string;
  cardNumber: string;
  upstream?: string;
}

export type RedeemOutcome =
  | { status: 'ok'; flow: Flow<AccountData> }
  | { status: 'wrong'; triesLeft: number }
  | { status: 'invalid' | 'used' | 'expired' | 'voided' };

export type CompleteOutcome = { status: 'ok'; user: User } | { status: 'weak'; failures: RuleFailure[] };

type Request = { ip: string | undefined; locale: Locale };

export function createReactivationService(services: Services, verifier: EidVerifier) {
  const { config, db, users, hasher, tokens, flows } = services;
  const nonces = createNonceService(flows);
  const policy = createPasswordPolicy(config);
  const phone = createPhoneVerification(services);
  const perMobile = createLimiter(db, { keyPrefix: 'reactivation_mobile', points: config.rateLimitReactivation, durationSeconds: 3600 });
  const perIp = createLimiter(db, { keyPrefix: 'reactivation_ip', points: config.rateLimitReactivation * 4, durationSeconds: 3600 });
  const tokenEntry = codeEntryThrottle(db, config, 'activation_token');
  const localeOf = (user: User, fallback: Locale): Locale => (isLocale(user.locale) ? user.locale : fallback);

  async function account(flow: Flow<AccountData>, state: string): Promise<User> {
    if (flow.state !== state) throw new AppError('flow_conflict', 'reactivation.error.step', 409);
    const user = flow.user_id ? await users.findById(db, flow.user_id) : undefined;
    if (!user) throw new AppError('flow_unknown', 'reactivation.error.step', 404);
    return reactivatable(user, flow.id);
  }

  /** Staff locked the account (misuse): the card or a bank proves who the person is, but does not undo a lock. */
  async function reactivatable(user: User, flowId: string): Promise<User> {
    if (user.status !== 'locked') return user;
    await audit(db, 'reactivation.refused_locked', { userId: user.id, details: { flow: flowId } });
    throw new AppError('account_locked', 'reactivation.error.locked', 403);
  }

  /** `upstream`: the provider that vouched instead of the card, named in the messages. */
  async function notify(trx: Knex, user: User, when: Date, locale: Locale, upstream?: string): Promise<void> {
    const username = user.username ?? user.email ?? '';
    const at = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(when);
    await enqueueNotice(trx, user, locale, {
      title: { key: 'reactivation.mail.title' },
      paragraphs: [upstream ? { key: 'upstream.reactivation.mail_what', params: { username, when: at, name: upstream } } : { key: 'reactivation.mail.what', params: { username, when: at } }, { key: 'reactivation.mail.sessions' }, { key: 'reactivation.mail.not_you' }],
    });
    if (user.phone_number) await enqueueSms(trx, { to: user.phone_number, text: upstream ? translate(locale, 'upstream.reactivation.sms_done', { username, when: at, name: upstream }) : translate(locale, 'reactivation.sms.done', { username, when: at }), userId: user.id });
  }

  return {
    ttlMinutes: Math.round(config.activationTokenTtl / 60),
    policy,

    /** A reactivation flow for `mobile` (E.164) with its nonce; limited per number and per IP address. */
    async start(mobile: string, r: Pick<Request, 'ip'>): Promise<Flow<ReactivationData>> {
      try {
        await perMobile.consume(mobile);
        if (r.ip) await perIp.consume(r.ip);
      } catch (e) {
        if (!isRateLimited(e)) throw e;
        throw new AppError('rate_limited', 'reactivation.error.too_many', 429, { minutes: Math.ceil(e.msBeforeNext / 60_000) });
      }
      const flow = await nonces.start(db, { type: REACTIVATION_FLOW, data: { mobile }, ttlSeconds: FLOW_TTL_SECONDS });
      await audit(db, 'reactivation.started', { ip: r.ip, details: { flow: flow.id } });
      return flow;
    },

    get: (flowId: string) => flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW),

    /** Checks the card's answer and finds the account linked to the card; nothing else changes on a refusal. */
    async checkCard(flowId: string, answer: CardAnswer, r: Pick<Request, 'ip'>): Promise<{ flow: Flow<ReactivationData>; user: User }> {
      const { flow, nonce } = await nonces.spend<ReactivationData>(db, flowId, REACTIVATION_FLOW, 'checking');
      let card;
      try {
        card = await verifier.verify(answer, nonce);
      } catch (e) {
        await audit(db, 'reactivation.card_refused', { ip: r.ip, details: { flow: flow.id, reason: (e as AppError).code ?? 'error' } });
        throw e;
      }
      const user = await accountOfCard(db, users, card.hmac);
      if (!user || user.status === 'pending') {
        await audit(db, 'reactivation.no_account', { ip: r.ip, details: { flow: flow.id, card: hmacPrefix(card.hmac) } });
        throw new AppError('no_account', 'reactivation.error.no_account', 404);
      }
      await reactivatable(user, flow.id);
      const checked = await flows.transition(db, flow, 'checking', 'card_checked', { cardNumber: answer.cardNumber }, user.id);
      await audit(db, 'reactivation.card_verified', { userId: user.id, ip: r.ip, details: { flow: flow.id, revocation: card.revocation } });
      return { flow: checked, user };
    },

    /** A trusted upstream (a bank, provider/upstream) proved who the person is instead of the card: the same next step. */
    async vouchedByUpstream(flowId: string, user: User, upstream: string, r: Pick<Request, 'ip'>): Promise<Flow<ReactivationData>> {
      const flow = await flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW);
      if (user.status === 'pending') throw new AppError('no_account', 'reactivation.error.no_account', 404);
      await reactivatable(user, flow.id);
      const checked = await flows.transition(db, flow, AWAITING_CARD, 'card_checked', { nonce: null, upstream }, user.id);
      await audit(db, 'reactivation.upstream_verified', { userId: user.id, ip: r.ip, details: { flow: flow.id, upstream } });
      return checked;
    },

    /** The holder confirmed the card number: the activation token, shown once, and the consent recorded. */
    async issueToken(flowId: string, r: Pick<Request, 'ip'>): Promise<{ token: string; cardNumber: string; upstream?: string }> {
      const flow = await flows.get<ReactivationData>(db, flowId, REACTIVATION_FLOW);
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
          maxAttempts: ACTIVATION_TOKEN_TRIES,
          data: { mobile: flow.data.mobile, cardNumber, ...(upstream ? { upstream } : {}) },
          replacePrevious: true,
        });
        // The consent lists what the card shares; an upstream shared none of it.
        if (!upstream) await recordConsent(trx, { userId: flow.user_id!, purpose: 'reactivation' });
        await audit(trx, 'reactivation.token_issued', { userId: flow.user_id, ip: r.ip, details: { flow: flow.id } });
        return { token, cardNumber, upstream };
      });
    },

    /** The token typed on the device being reactivated, with the mobile number it was asked for. */
    async redeem(mobile: string, typed: string, r: Request): Promise<RedeemOutcome> {
      const { result } = await tokenEntry.guard(
        { subject: `mobile:${mobile}`, ip: r.ip },
        async (): Promise<RedeemOutcome> => {
          const latest = await db('one_time_tokens').where({ purpose: ACTIVATION_PURPOSE }).whereRaw("data->>'mobile' = ?", [mobile]).orderBy('created_at', 'desc').first();
          if (!latest) return { status: 'invalid' };
          const redeemed = await tokens.redeemCode(db, { purpose: ACTIVATION_PURPOSE, flowId: latest.flow_id }, typed);
          if (redeemed.status !== 'ok') return redeemed;
          const { user_id: userId, data } = redeemed.token;
          const user = await reactivatable((await users.findById(db, userId!))!, latest.flow_id);
          const verified = user.phone_number === mobile && user.phone_number_verified;
          return db.transaction(async (trx) => {
            const flow = await flows.create<AccountData>(trx, { type: ACCOUNT_FLOW, state: verified ? 'password' : 'phone', userId, data: { mobile, cardNumber: String(data.cardNumber), ...(data.upstream ? { upstream: String(data.upstream) } : {}) }, ttlSeconds: FLOW_TTL_SECONDS });
            if (!verified) {
              const sent = await phone.startPhoneVerification(trx, user, mobile, localeOf(user, r.locale));
              if (!sent.ok) throw new AppError('sms_refused', 'reactivation.error.sms', 429);
            }
            await audit(trx, 'reactivation.token_redeemed', { userId, ip: r.ip, details: { newMobile: !verified } });
            return { status: 'ok' as const, flow };
          });
        },
        (o) => o.status === 'ok',
      );
      if (result.status === 'voided') await audit(db, 'reactivation.token_voided', { ip: r.ip });
      return result;
    },

    account: (flowId: string) => flows.get<AccountData>(db, flowId, ACCOUNT_FLOW),

    /** The SMS code sent to a new mobile number: right, the number becomes the account's and the password is next. */
    async confirmPhone(flow: Flow<AccountData>, code: string) {
      const user = await account(flow, 'phone');
      const outcome = await phone.confirmPhoneVerification(db, user, code);
      if (outcome.status === 'ok') await flows.transition(db, flow, 'phone', 'password');
      return outcome;
    },

    username: async (flow: Flow<AccountData>) => {
      const user = await account(flow, flow.state);
      return user.username ?? user.email ?? '';
    },

    /** The new password: the account is active again, every session and token of it ends, mail and SMS tell. */
    async complete(flow: Flow<AccountData>, password: string, r: Request): Promise<CompleteOutcome> {
      const user = await account(flow, 'password');
      const checked = policy.check(password, { username: user.username, email: user.email });
      if (!checked.ok) return { status: 'weak', failures: checked.failures };
      const hash = await hasher.hash(password);
      const now = new Date();
      await db.transaction(async (trx) => {
        await flows.transition(trx, flow, 'password', 'done');
        await users.updatePasswordHash(trx, user.id, hash);
        await users.setStatus(trx, user.id, 'active');
        const link = await trx('eid_links').where({ user_id: user.id }).first();
        // An upstream's vouching names no card: the card's record stays as it was.
        if (link && flow.data.cardNumber) await saveLink(trx, { userId: user.id, hmac: link.national_number_hmac, cardNumber: flow.data.cardNumber }, now);
        await tokens.voidAll(trx, { purpose: ACTIVATION_PURPOSE, userId: user.id });
        await endAccountAccess(trx, tokens, user);
        await notify(trx, (await users.findById(trx, user.id))!, now, localeOf(user, r.locale), flow.data.upstream);
        await audit(trx, 'reactivation.completed', { userId: user.id, ip: r.ip, details: { previousStatus: user.status } });
      });
      return { status: 'ok', user };
    },
  };
}

export type ReactivationService = ReturnType<typeof createReactivationService>;
