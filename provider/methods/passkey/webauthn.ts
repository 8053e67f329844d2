// Passkeys as a way to prove who one is (WebAuthn, with @simplewebauthn/server): the options a browser's
// navigator.credentials call takes, and the check of its answer. Each ceremony's challenge is kept in a self-service
// flow bound to the browser that asked for it, valid a few minutes and spent by the first answer whatever its
// outcome. Passkeys are discoverable and verify their user (PIN or biometrics), so a login needs no username and
// no password. The relying party is the ISSUER's host name; the accepted origins its origin and PASSKEY_EXTRA_ORIGINS.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Services } from '../../app/services.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import type { Binding } from '../../domain/flow-state/binding.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import { signInMethod } from '../strategy.ts';
import { addPasskey, findPasskeyByCredentialId, passkeysOf, recordPasskeyUse, type Passkey } from '../../domain/passkeys/repository.ts';
import { AppError, type MessageKey } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { currentTheme } from '../../platform/web/theme.ts';
import { translate, type Locale } from '../../platform/web/i18n.ts';
import { oneLine } from '../../platform/web/form.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { hasNul } from '../../platform/nul.ts';

/** A passkey that verified its user: the login names the passkey used. */
export const passkeyMethod = signInMethod<{ user: User; passkey: Pick<Passkey, 'id'> }>('passkey', { acr: ACR.passkey, amr: AMR.passkey }, ({ passkey }) => ({
  passkey: passkey.id,
}));

const REGISTER_FLOW = 'passkey_register';
const LOGIN_FLOW = 'passkey_login';
const AWAITING = 'awaiting_passkey';
const CHALLENGE_SECONDS = 300;

// An attestation with its certificate chain (a TPM's especially) runs to several kilobytes.
const b64url = z
  .string()
  .regex(/^[\w-]*$/)
  .max(16_384);
const answer = <T extends z.ZodRawShape>(response: T) =>
  z.object({
    id: b64url.min(1),
    rawId: b64url.min(1),
    type: z.literal('public-key'),
    response: z.object({ clientDataJSON: b64url, ...response }),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  });

/** The answer of navigator.credentials.create, as @simplewebauthn/browser encodes it… */
const registrationAnswer = answer({
  attestationObject: b64url,
  transports: z.array(z.string().max(32)).max(10).optional(),
}) satisfies z.ZodType<RegistrationResponseJSON>;

/** …and of navigator.credentials.get. */
const authenticationAnswer = answer({
  authenticatorData: b64url,
  signature: b64url,
  userHandle: b64url.optional(),
}) satisfies z.ZodType<AuthenticationResponseJSON>;

/** What a page posts: the flow of the challenge, and the authenticator's answer as JSON. */
const form = <T extends z.ZodType>(answer: T) =>
  z.object({
    flow: z.string().max(100),
    response: z
      .string()
      .max(32_768)
      .transform((s, c) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          c.addIssue({ code: 'custom', message: 'not JSON' });
          return z.NEVER;
        }
      })
      .pipe(answer),
  });

export const registrationForm = form(registrationAnswer).extend({ name: oneLine(60).min(1) });

/**
 * A refused registrationForm (read by formInput) as its page's errors: a NUL in the name at the name, as every form
 * says it; any other refused name asks for a name; anything else is the ceremony's answer, not something typed.
 */
export function registrationFormErrors(raw: Record<string, unknown>, error: z.ZodError): FormErrors {
  if (hasNul(raw.name)) return formError('name', 'error.field.characters');
  return error.issues.some((i) => i.path[0] === 'name') ? formError('name', 'passkeys.new.error.name') : formError('form', 'passkeys.error.invalid');
}
export const loginForm = form(authenticationAnswer);

/** The user handle a passkey is made with: the account's id (no name, no address, as WebAuthn asks). */
const userHandle = (userId: string) => Buffer.from(userId, 'utf8');

const refused = (code: string, key: MessageKey, status = 400) => new AppError(code, key, status);

/** A new passkey's answer from the browser, and what its mail and audit record need. */
export interface RegistrationAnswer {
  flowId: string;
  binding: Binding;
  response: RegistrationResponseJSON;
  name: string;
  /** The page's language: the mail's only for an account without one of its own. */
  locale: Locale;
  ip?: string;
  /** That what the passkey is made for is still open, in the transaction that stores it (false: refused). */
  claim?: (trx: Knex) => Promise<boolean>;
}

export function createPasskeyMethod({ config, flows, users }: Pick<Services, 'config' | 'flows' | 'users'>) {
  const issuer = new URL(config.issuerUrl);
  const rp = { id: issuer.hostname, origins: [issuer.origin, ...config.passkeyExtraOrigins.filter((o) => o !== issuer.origin)] };
  const requiredModels = config.passkeyAaguids;

  async function begin(db: Knex, type: string, binding: Binding, challenge: string, userId: string | null, data: Record<string, unknown> = {}) {
    const flow = await flows.create(db, { type, state: AWAITING, binding, userId, data: { ...data, challenge }, ttlSeconds: CHALLENGE_SECONDS });
    return flow.id;
  }

  /** Spends the flow's challenge: a second answer to the same challenge meets a flow already done. */
  async function spend(db: Knex, flowId: string, type: string, binding: Binding) {
    const flow = await flows.get<{ challenge: string | null }>(db, flowId, type, binding);
    if (flow.state !== AWAITING || !flow.data.challenge) throw refused('passkey_challenge_used', 'passkeys.error.expired', 409);
    await flows.transition(db, flow, AWAITING, 'done', { challenge: null }).catch(() => {
      throw refused('passkey_challenge_used', 'passkeys.error.expired', 409);
    });
    return { challenge: flow.data.challenge, flow };
  }

  return {
    relyingParty: rp,

    /**
     * Options for a new passkey of `user`; those it already has are excluded, so an authenticator is not registered
     * twice. `data` says what they were made for (a login interaction), for `register`'s `owner` to check.
     */
    async registrationOptions(db: Knex, user: User, binding: Binding, locale: Locale, data: Record<string, unknown> = {}) {
      const existing = await passkeysOf(db, user.id);
      const options = await generateRegistrationOptions({
        rpName: currentTheme()?.organisation ?? translate(locale, 'app.name'),
        rpID: rp.id,
        userName: user.username ?? user.email ?? user.sub,
        userID: userHandle(user.id),
        userDisplayName: [user.given_name, user.family_name].filter(Boolean).join(' ') || (user.username ?? user.email ?? ''),
        timeout: CHALLENGE_SECONDS * 1000,
        // The AAGUID is only worth checking when the authenticator vouches for it with an attestation.
        attestationType: requiredModels.length ? 'direct' : 'none',
        excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      });
      return { flow: await begin(db, REGISTER_FLOW, binding, options.challenge, user.id, data), options };
    },

    /**
     * Verifies the authenticator's answer and stores the passkey under `name`; refused (AppError) when it does not
     * hold. `owner`, when given, checks that the options were made for this request (`registrationOptions`' data);
     * `claim`, that what the passkey is made for is still open, in the transaction that stores it (false: refused).
     */
    async register<D extends Record<string, unknown>>(db: Knex, user: User, a: RegistrationAnswer & { owner?: (data: D) => boolean }): Promise<Passkey> {
      const { challenge, flow } = await spend(db, a.flowId, REGISTER_FLOW, a.binding);
      if (flow.user_id !== user.id || (a.owner && !a.owner(flow.data as unknown as D))) throw refused('flow_unknown', 'error.flow_unknown', 404);
      const verified = await verifyRegistrationResponse({
        response: a.response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserVerification: true,
      }).catch((e: unknown) => ({ verified: false as const, reason: e instanceof Error ? e.message : 'error' }));
      if (!verified.verified) {
        await audit(db, 'passkey.refused', {
          userId: user.id,
          ip: a.ip,
          details: { ceremony: 'registration', reason: 'reason' in verified ? verified.reason : 'unverified' },
        });
        throw refused('passkey_invalid', 'passkeys.error.invalid');
      }
      const info = verified.registrationInfo;
      if (requiredModels.length && !requiredModels.includes(info.aaguid)) {
        await audit(db, 'passkey.refused', { userId: user.id, ip: a.ip, details: { ceremony: 'registration', reason: 'model', aaguid: info.aaguid } });
        throw refused('passkey_model', 'passkeys.error.model', 403);
      }
      return db.transaction(async (trx) => {
        if (a.claim && !(await a.claim(trx))) throw refused('flow_unknown', 'error.flow_unknown', 404);
        const passkey = await addPasskey(trx, {
          user_id: user.id,
          credential_id: info.credential.id,
          public_key: info.credential.publicKey,
          counter: info.credential.counter,
          transports: info.credential.transports ?? [],
          backup_eligible: info.credentialDeviceType === 'multiDevice',
          backed_up: info.credentialBackedUp,
          aaguid: info.aaguid,
          name: a.name,
        });
        // A passkey someone else added would be a way in that outlives a new password: the owner hears of it.
        await enqueueNotice(trx, user, localeOf(user, a.locale), {
          title: { key: 'passkeys.mail.added.title' },
          paragraphs: [{ key: 'passkeys.mail.added.body', params: { name: a.name } }, { key: 'passkeys.mail.added.not_you' }],
          action: { href: `${config.issuerUrl}/account/security#passkeys`, label: { key: 'passkeys.mail.added.action' } },
        });
        await audit(trx, 'passkey.registered', {
          userId: user.id,
          ip: a.ip,
          details: { passkey: passkey.id, aaguid: info.aaguid, synced: passkey.backup_eligible },
        });
        return passkey;
      });
    },

    /**
     * Options for a login with a passkey of this site: any (none is named, the authenticator offers its own), or,
     * given `user` (a second step after the password), only that account's, whose answer `authenticate` then requires.
     */
    async authenticationOptions(db: Knex, binding: Binding, data: Record<string, unknown>, user?: User) {
      const allowCredentials = user && (await passkeysOf(db, user.id)).map((p) => ({ id: p.credential_id, transports: p.transports }));
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        userVerification: 'required',
        timeout: CHALLENGE_SECONDS * 1000,
        ...(allowCredentials ? { allowCredentials } : {}),
      });
      return { flow: await begin(db, LOGIN_FLOW, binding, options.challenge, user?.id ?? null, data), options };
    },

    /**
     * The account whose passkey answered, once its signature and counter hold. `owner` checks that the flow belongs to
     * this request: its login interaction, and the account its options were made for (none at a first step). A
     * removed passkey is unknown; a counter that went back is a cloned credential, refused and audited.
     */
    async authenticate<D extends Record<string, unknown>>(
      db: Knex,
      a: { flowId: string; binding: Binding; response: AuthenticationResponseJSON; owner: (data: D, account: string | null) => boolean; ip?: string },
    ): Promise<{ user: User; passkey: Passkey }> {
      const { challenge, flow } = await spend(db, a.flowId, LOGIN_FLOW, a.binding);
      if (!a.owner(flow.data as unknown as D, flow.user_id)) throw refused('flow_unknown', 'error.flow_unknown', 404);
      const passkey = await findPasskeyByCredentialId(db, a.response.id);
      const handle = a.response.response.userHandle;
      if (!passkey || (handle && handle !== userHandle(passkey.user_id).toString('base64url'))) {
        await audit(db, 'login.failure', { userId: passkey?.user_id, ip: a.ip, details: { method: 'passkey', reason: 'unknown_passkey' } });
        throw refused('passkey_unknown', 'passkeys.error.unknown', 401);
      }
      // Options made for one account (a second step) take only its passkeys, whoever else's the browser offers.
      if (flow.user_id && passkey.user_id !== flow.user_id) {
        await audit(db, 'login.failure', { userId: flow.user_id, ip: a.ip, details: { method: 'passkey', reason: 'other_account' } });
        throw refused('passkey_other_account', 'passkeys.error.other_account', 401);
      }
      // The library's own counter check runs before the signature's: given a zero it leaves the counter to us, so
      // that only a signed answer can say that a credential was cloned.
      const verified = await verifyAuthenticationResponse({
        response: a.response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        credential: { id: passkey.credential_id, publicKey: passkey.public_key, counter: 0, transports: passkey.transports },
        requireUserVerification: true,
      }).catch((e: unknown) => ({ verified: false as const, reason: e instanceof Error ? e.message : 'error', authenticationInfo: undefined }));
      if (!verified.verified) {
        await audit(db, 'login.failure', {
          userId: passkey.user_id,
          ip: a.ip,
          details: { method: 'passkey', reason: 'invalid_signature', passkey: passkey.id, ...('reason' in verified ? { error: verified.reason } : {}) },
        });
        throw refused('passkey_invalid', 'passkeys.error.invalid', 401);
      }
      const { newCounter, credentialBackedUp } = verified.authenticationInfo;
      // A counter of 0 on both sides means an authenticator that keeps none (synced passkeys): nothing to compare.
      const wentBack = (newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter;
      if (wentBack || !(await recordPasskeyUse(db, passkey, { counter: newCounter, backedUp: credentialBackedUp }))) {
        await audit(db, 'passkey.cloned', {
          userId: passkey.user_id,
          ip: a.ip,
          details: { passkey: passkey.id, counter: newCounter, expected: passkey.counter + 1 },
        });
        await audit(db, 'login.failure', { userId: passkey.user_id, ip: a.ip, details: { method: 'passkey', reason: 'cloned' } });
        throw refused('passkey_cloned', 'passkeys.error.cloned', 403);
      }
      const user = await users.findById(db, passkey.user_id);
      if (!user) throw refused('passkey_unknown', 'passkeys.error.unknown', 401);
      return { user, passkey };
    },
  };
}

export type PasskeyMethod = ReturnType<typeof createPasskeyMethod>;
