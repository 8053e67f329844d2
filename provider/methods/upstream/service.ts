// Logging in, linking and reactivating through an upstream, as one stored flow of type 'upstream_login':
//   redirected ─callback─▶ returned ─┬─ linked identity, login ──────────────▶ authenticated ─finish─▶ done
//                                    ├─ unknown identity, login ─▶ unlinked ─password or new account─▶ authenticated
//                                    └─ link from the account page, or reactivation ─────────────────▶ done
// The flow keeps the PKCE verifier, state and nonce server-side; the browser holds only a signed cookie naming the
// flow, so an answer reaching another browser, or a replayed one, finds nothing to continue.
import type { Knex } from 'knex';
import type { Binding } from '../../domain/flow-state/binding.ts';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { generateUsername } from '../../domain/accounts/usernames.ts';
import { AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { nationalNumberKey } from '../../domain/accounts/national-number-key.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import { hasTwoFactors } from '../../oidc/step-up.ts';
import { findLinkByHmac } from '../../domain/accounts/eid-links.ts';
import { createSecondFactorStore } from '../../domain/second-factors/store.ts';
import { passkeysOf } from '../../domain/passkeys/repository.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import type { Login, SignInMethod } from '../strategy.ts';
import { createUpstreamClient, type Checks } from './oidc-client.ts';
import { identityOf, provesTwoFactors, type UpstreamIdentity } from './identity.ts';
import { accountOfIdentity } from './account-of-identity.ts';
import {
  findUpstream,
  linksOf,
  removeLink,
  saveLink,
  upstreamsFor,
  type LinkProof,
  type Upstream,
  type UpstreamUse,
} from '../../domain/upstreams/repository.ts';
import { upstreamSecretBox, type SecretBox } from '../../domain/upstreams/secret-box.ts';

export const UPSTREAM_FLOW = 'upstream_login';

/** An upstream vouched for the account: amr says "federated" (and "pwd" when a password linked it), acr may be the upstream's own. */
export const upstreamMethod: SignInMethod<{ user: User; upstream: string; acr?: string; amr?: readonly string[] }> = {
  id: 'upstream',
  acr: ACR.federated,
  amr: AMR.federated,
  login: ({ user, upstream, acr, amr }) => ({ user, method: 'upstream', acr: acr ?? ACR.federated, amr: amr ?? AMR.federated, details: { upstream } }),
};
const FLOW_TTL_SECONDS = 600;

export type Purpose = UpstreamUse;

export interface UpstreamFlowData extends Record<string, unknown> {
  slug: string;
  /** The upstream's display name, for the pages of the flow. */
  name: string;
  purpose: Purpose;
  /** Spent at the callback. */
  checks: Checks | null;
  /** The login interaction to finish (purpose login). */
  interaction?: string;
  /** The reactivation flow to continue (purpose reactivation). */
  reactivation?: string;
  identity?: UpstreamIdentity;
  amr?: string[];
}

/** The levels only a step of this provider grants, whatever an upstream states. */
const METHODS_OF_HERE: readonly string[] = [ACR.eid, ACR.passkey];

export type UpstreamFlow = Flow<UpstreamFlowData>;

export interface Returned {
  flow: UpstreamFlow;
  upstream: Upstream;
  identity: UpstreamIdentity;
  /** The account the identity is linked to (or whose eID holds the same national number). */
  user: User | undefined;
  /** Whether the identity may stand in for the account's eID card at a reactivation (`accountOfIdentity`). */
  vouches: boolean;
}

export function createUpstreamService(services: Pick<Services, 'config' | 'db' | 'users' | 'flows' | 'provider' | 'deletion'>) {
  const { config, db, users, flows } = services;
  let box: Promise<SecretBox> | undefined;
  const client = createUpstreamClient(() => (box ??= upstreamSecretBox(config, db)));
  const numberKey = nationalNumberKey(config, db);
  const redirectUri = `${config.issuerUrl}/upstream/callback`;
  const secondFactors = createSecondFactorStore(config, db);

  async function upstreamFor(slug: string, use: UpstreamUse): Promise<Upstream> {
    const u = await findUpstream(db, slug);
    if (!u || !u.enabled || !u.uses.includes(use)) throw new AppError('upstream_unknown', 'upstream.error.unknown', 404);
    return u;
  }

  /** Links the flow's identity to `user`; refuses (without naming it) an identity that belongs to another account. */
  /** `notice`: the owner of an account that existed before hears of the link, a way in that outlives a new password. */
  async function link(trx: Knex, flow: UpstreamFlow, user: User, madeWith: LinkProof, ip: string | undefined, notice = true): Promise<'linked' | 'already'> {
    const identity = flow.data.identity!;
    const card = identity.nationalNumberHmac ? await findLinkByHmac(trx, identity.nationalNumberHmac) : undefined;
    if (card && card.user_id !== user.id) throw new AppError('upstream_linked_elsewhere', 'upstream.error.linked_elsewhere', 409);
    const outcome = await saveLink(trx, { slug: flow.data.slug, subjectKey: identity.subjectKey, userId: user.id, label: identity.label, madeWith });
    if (outcome !== 'linked') return outcome;
    await audit(trx, 'upstream.linked', { userId: user.id, ip, details: { upstream: flow.data.slug, madeWith } });
    if (notice) {
      const name = (await findUpstream(trx, flow.data.slug))?.name ?? flow.data.slug;
      await enqueueNotice(trx, user, localeOf(user, config.defaultLocale), {
        title: { key: 'upstream.mail.linked.title', params: { name } },
        paragraphs: [{ key: 'upstream.mail.linked.body', params: { name } }, { key: 'upstream.mail.linked.not_you' }],
        action: { href: `${config.issuerUrl}/account/connections`, label: { key: 'upstream.mail.linked.action' } },
      });
    }
    return outcome;
  }

  /** Runs `work` in a transaction; a refused link is recorded for staff (never shown) once the transaction is over. */
  async function linking<T>(flow: UpstreamFlow, userId: string | null, ip: string | undefined, work: (trx: Knex) => Promise<T>): Promise<T> {
    try {
      return await db.transaction(work);
    } catch (e) {
      if (e instanceof AppError && e.code === 'upstream_linked_elsewhere')
        await audit(db, 'upstream.link_refused', { userId, ip, details: { upstream: flow.data.slug, reason: 'linked_elsewhere' } });
      throw e;
    }
  }

  /** The identity proved an account: the login interaction may be finished with it. */
  async function authenticated(flow: UpstreamFlow, from: string, user: User, amr: readonly string[]): Promise<UpstreamFlow> {
    return flows.transition(db, flow, from, 'authenticated', { amr: [...amr] }, user.id);
  }

  return {
    buttons: (use: UpstreamUse) => upstreamsFor(db, use),

    get: (flowId: string, binding: Binding) => flows.get<UpstreamFlowData>(db, flowId, UPSTREAM_FLOW, binding),

    /** A flow and the upstream's authorization URL; refuses an upstream not enabled for the purpose. */
    async start(
      slug: string,
      purpose: Purpose,
      context: { binding: Binding; interaction?: string; reactivation?: string; userId?: string; locale: string },
    ): Promise<{ flow: UpstreamFlow; url: URL }> {
      const u = await upstreamFor(slug, purpose);
      const { url, checks } = await client.begin(u, redirectUri, { ui_locales: context.locale });
      const flow = await flows.create<UpstreamFlowData>(db, {
        type: UPSTREAM_FLOW,
        state: 'redirected',
        binding: context.binding,
        userId: context.userId ?? null,
        data: {
          slug,
          name: u.name,
          purpose,
          checks,
          ...(context.interaction ? { interaction: context.interaction } : {}),
          ...(context.reactivation ? { reactivation: context.reactivation } : {}),
        },
        ttlSeconds: FLOW_TTL_SECONDS,
      });
      return { flow, url };
    },

    /** The upstream's answer: spends the flow's checks (a replay finds them gone), verifies, finds the account. */
    async callback(flowId: string, binding: Binding, callbackUrl: URL, ip: string | undefined): Promise<Returned> {
      const started = await flows.get<UpstreamFlowData>(db, flowId, UPSTREAM_FLOW, binding);
      const checks = started.data.checks;
      if (started.state !== 'redirected' || !checks) throw new AppError('upstream_replayed', 'upstream.error.replayed', 409);
      const spent = await flows.transition(db, started, 'redirected', 'returned', { checks: null });
      const u = await upstreamFor(spent.data.slug, spent.data.purpose);
      let identity: UpstreamIdentity;
      try {
        const claims = await client.finish(u, callbackUrl, checks);
        const key = u.subjectClaim === 'national_number' ? await numberKey() : '';
        identity = identityOf(claims, u.subjectClaim, () => key);
      } catch (e) {
        await audit(db, 'upstream.refused', {
          userId: spent.user_id,
          ip,
          details: { upstream: u.slug, purpose: spent.data.purpose, reason: (e as AppError).code ?? 'error' },
        });
        throw e;
      }
      const flow = await flows.transition(db, spent, 'returned', 'returned', { identity });
      const { user, vouches } = await accountOfIdentity(db, users, u, identity);
      return { flow, upstream: u, identity, user, vouches };
    },

    authenticated,

    /** Login with an identity not linked yet: the person proves an account (password) or creates one. */
    unlinked: (flow: UpstreamFlow) => flows.transition(db, flow, 'returned', 'unlinked'),

    /**
     * The password proved the account: link the identity, then the login continues with both. Not for an account with
     * a second factor: the link would be a way in that the password alone made, and that outlives a new password; its
     * owner links from the account, once logged in with both steps.
     */
    async linkAfterPassword(flow: UpstreamFlow, user: User, ip: string | undefined): Promise<UpstreamFlow> {
      const [app, keys] = await Promise.all([secondFactors.hasTotp(db, user.id), passkeysOf(db, user.id)]);
      if (app || keys.length) {
        await audit(db, 'upstream.link_refused', { userId: user.id, ip, details: { upstream: flow.data.slug, reason: 'second_factor' } });
        throw new AppError('upstream_second_factor', 'upstream.error.second_factor', 403);
      }
      await linking(flow, user.id, ip, (trx) => link(trx, flow, user, 'login', ip));
      return authenticated(flow, 'unlinked', user, [...upstreamMethod.amr, ...AMR.password]);
    },

    /** "Create a new account" with what the upstream vouched for: names and a verified e-mail address, no password. */
    async createAccount(flow: UpstreamFlow, ip: string | undefined, locale: string): Promise<UpstreamFlow> {
      const identity = flow.data.identity!;
      if (!config.registrationModes.includes('open')) throw new AppError('upstream_no_registration', 'upstream.error.no_registration', 403);
      if (identity.email && config.uniqueEmail && (await users.findByIdentifier(db, identity.email, 'email')).length) {
        throw new AppError('upstream_email_taken', 'upstream.error.email_taken', 409);
      }
      const user = await linking(flow, null, ip, async (trx) => {
        const created = await users.create(trx, {
          username: await generateUsername(trx, identity.givenName ?? '', identity.familyName ?? ''),
          email: identity.email,
          emailVerified: Boolean(identity.email),
          givenName: identity.givenName,
          familyName: identity.familyName,
          locale,
          status: 'active',
        });
        const at = new Date();
        await trx('consents').insert([
          { user_id: created.id, document: 'terms', version: config.termsVersion, accepted_at: at },
          { user_id: created.id, document: 'privacy', version: config.privacyVersion, accepted_at: at },
        ]);
        await link(trx, flow, created, 'sign_up', ip, false);
        await audit(trx, 'registration.signed_up', { userId: created.id, ip, details: { mode: 'upstream', upstream: flow.data.slug } });
        return created;
      });
      return authenticated(flow, 'unlinked', user, upstreamMethod.amr);
    },

    /** Links the identity to the account that started the flow from its account page. */
    async linkToAccount(flow: UpstreamFlow, ip: string | undefined): Promise<'linked' | 'already'> {
      const user = flow.user_id ? await users.findById(db, flow.user_id) : undefined;
      if (!user || user.status !== 'active') throw new AppError('upstream_flow', 'upstream.error.flow', 400);
      return linking(flow, user.id, ip, async (trx) => {
        await flows.transition(trx, flow, 'returned', 'done');
        return link(trx, flow, user, 'login', ip);
      });
    },

    /**
     * The interaction's login: amr says "federated", acr the upstream's own level when it is trusted to say it.
     * When the login must have two factors (`twoFactors`), an upstream trusted to state its level may prove them in
     * its answer (provesTwoFactors); otherwise `secondStep` says the person's second factor is still to be asked.
     */
    async login(flow: UpstreamFlow, uid: string, twoFactors: boolean): Promise<{ login: Login; secondStep: boolean }> {
      if (flow.state !== 'authenticated' || flow.data.interaction !== uid || !flow.user_id) throw new AppError('upstream_flow', 'upstream.error.flow', 400);
      const [user, u] = await Promise.all([users.findById(db, flow.user_id), findUpstream(db, flow.data.slug)]);
      if (!user || user.status !== 'active' || !u) throw new AppError('upstream_flow', 'upstream.error.flow', 400);
      await flows.transition(db, flow, 'authenticated', 'done');
      // Trusted to state its own level, an upstream still cannot claim this provider's eID or passkey level: they mean
      // a card read here, of the session's own holder (flows/eid), or a passkey registered here, and only those steps
      // grant them. (Its password and two-factor levels say how many factors, which it can tell.)
      const stated = u.acrFromUpstream ? flow.data.identity?.acr : undefined;
      const acr = stated && !METHODS_OF_HERE.includes(stated) ? stated : ACR.federated;
      const amr = flow.data.amr ?? [...AMR.federated];
      const login = (level: { acr: string; amr: readonly string[] }) => upstreamMethod.login({ user, upstream: flow.data.slug, ...level });
      if (!twoFactors) return { login: login({ acr, amr }), secondStep: false };
      const identity = flow.data.identity;
      if (u.acrFromUpstream && identity && (hasTwoFactors(acr) || provesTwoFactors(identity))) {
        return { login: login({ acr: hasTwoFactors(acr) ? acr : ACR.mfa, amr: [...new Set([...amr, ...(identity.amr ?? [])])] }), secondStep: false };
      }
      return { login: login({ acr, amr }), secondStep: true };
    },

    done: (flow: UpstreamFlow) => flows.transition(db, flow, 'returned', 'done'),

    links: (userId: string) => linksOf(db, userId),

    async unlink(user: User, id: number, ip: string | undefined): Promise<boolean> {
      const removed = await removeLink(db, user.id, id);
      if (removed) await audit(db, 'upstream.unlinked', { userId: user.id, ip, details: { upstream: removed.upstream_slug } });
      return Boolean(removed);
    },
  };
}
