// Relying apps from the CLI: registered with metadata validated by oidc-provider's own client schema, stored
// through the same adapter as dynamically registered clients; listed, shown, deleted, given a new secret.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { fromJsonColumn, type Db } from '../platform/db/knex.ts';
import { SUBJECT_TYPES, type SubjectType } from './pairwise-subject.ts';

type Metadata = Record<string, unknown>;

interface ClientAdapter {
  upsert(id: string, payload: object, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Metadata | undefined>;
  destroy(id: string): Promise<void>;
  in(trx: Db): ClientAdapter;
}

const clientModel = (provider: Provider) => provider.Client as unknown as { new (m: object): { metadata(): Metadata }; adapter: ClientAdapter };

/** The clients' adapter, writing in `trx` when given: the caller's audit row then commits with the change. */
const adapterIn = (provider: Provider, trx: Db | undefined) => (trx ? clientModel(provider).adapter.in(trx) : clientModel(provider).adapter);

/** What `idp clients list|show` prints, and in this shape with --json: never the secret. */
export interface ClientSummary {
  client_id: string;
  client_name: string | null;
  public: boolean;
  first_party: boolean;
  require_mfa: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  scope: string | null;
  backchannel_logout_uri: string | null;
  backchannel_logout_session_required: boolean;
  /** How its ID tokens are signed. */
  id_token_alg: string;
  /** pairwise: the sub it is given is its own for each person (./pairwise-subject.ts); public: the account's. */
  subject_type: SubjectType;
}

const summary = (m: Metadata): ClientSummary => ({
  client_id: String(m.client_id),
  client_name: typeof m.client_name === 'string' ? m.client_name : null,
  public: m.token_endpoint_auth_method === 'none',
  first_party: m.first_party === true,
  require_mfa: m.require_mfa === true,
  redirect_uris: (m.redirect_uris as string[] | undefined) ?? [],
  post_logout_redirect_uris: (m.post_logout_redirect_uris as string[] | undefined) ?? [],
  grant_types: (m.grant_types as string[] | undefined) ?? ['authorization_code'],
  scope: typeof m.scope === 'string' ? m.scope : null,
  backchannel_logout_uri: typeof m.backchannel_logout_uri === 'string' ? m.backchannel_logout_uri : null,
  backchannel_logout_session_required: m.backchannel_logout_session_required === true,
  id_token_alg: typeof m.id_token_signed_response_alg === 'string' ? m.id_token_signed_response_alg : 'RS256',
  subject_type: m.subject_type === 'pairwise' ? 'pairwise' : 'public',
});

const unknownClient = (clientId: string) => new AppError('client_unknown', 'error.client_unknown', 404, { clientId });

/** Every client, registered from the CLI or dynamically, by name. */
export async function listClients(db: Db): Promise<ClientSummary[]> {
  const rows = await db('oidc_models').where({ model: 'Client' }).select('payload');
  return rows
    .map((r: { payload: unknown }) => summary(fromJsonColumn<Metadata>(r.payload)))
    .sort((a, b) => (a.client_name ?? a.client_id).localeCompare(b.client_name ?? b.client_id));
}

export async function showClient(provider: Provider, clientId: string): Promise<ClientSummary> {
  const m = await clientModel(provider).adapter.find(clientId);
  if (!m) throw unknownClient(clientId);
  return summary(m);
}

/**
 * Removes the client with its grants and tokens, in `db` (the caller's transaction, with its audit row). Left behind,
 * they named a client_id that an app made later could have again: a public one would have taken them without a
 * secret, and with them the subs of the people the deleted app knew (their public ones, had it been pairwise).
 */
export async function deleteClient(provider: Provider, clientId: string, db: Db): Promise<void> {
  const adapter = adapterIn(provider, db);
  if (!(await adapter.find(clientId))) throw unknownClient(clientId);
  await adapter.destroy(clientId);
  await db('oidc_models').whereNot({ model: 'Client' }).whereRaw("payload->>'clientId' = ?", [clientId]).delete();
}

/** A new secret for a confidential client; the old one stops working at once (within CLIENT_CACHE_SECONDS elsewhere). */
export async function rotateClientSecret(provider: Provider, clientId: string, trx?: Db): Promise<string> {
  const adapter = adapterIn(provider, trx);
  const m = await adapter.find(clientId);
  if (!m) throw unknownClient(clientId);
  if (m.token_endpoint_auth_method === 'none') throw new AppError('client_public', 'error.client_public', 400, { clientId });
  const secret = randomBytes(32).toString('base64url');
  await adapter.upsert(clientId, { ...m, client_secret: secret });
  return secret;
}

export const clientInput = z.object({
  name: z.string().trim().min(1, 'give the app a name').max(200, 'at most 200 characters'),
  redirectUris: z.array(z.url()).min(1, 'give at least one --redirect-uri'),
  postLogoutRedirectUris: z.array(z.url()).default([]),
  public: z.boolean().default(false),
  firstParty: z.boolean().default(false),
  requireMfa: z.boolean().default(false),
  /** A name in PORTAL_PROFILES: what its people see (provider/oidc/portal.ts). */
  portalProfile: z.string().optional(),
  grants: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).default(['authorization_code', 'refresh_token']),
  scope: z.string().max(1000).optional(),
  backchannelLogoutUri: z.url().optional(),
  backchannelLogoutSessionRequired: z.boolean().default(false),
  /** RS256, OpenID Connect's default that every library verifies, or ES256: a P-256 signature costs the provider a
   *  fifth of an RSA-2048 one (0.07 against 0.35 ms), and a refresh signs one. */
  idTokenAlg: z.enum(['RS256', 'ES256'], { message: 'expected RS256 or ES256' }).default('RS256'),
  subjectType: z.enum(SUBJECT_TYPES, { message: 'expected public or pairwise' }).default('public'),
  clientId: z
    .string()
    .regex(/^[\w.-]{3,100}$/)
    .optional(),
});
export type ClientInput = z.input<typeof clientInput>;

/**
 * Registers an app; one already under the client_id is refused, unless `replace` (the provider's own, registered again
 * at each start): made again, an app would get a new secret and its people new subs (a pairwise app switched public
 * would learn their public ones), its tokens kept.
 */
export async function createClient(
  provider: Provider,
  input: ClientInput,
  trx?: Db,
  { replace = false } = {},
): Promise<{ client_id: string; client_secret?: string }> {
  const c = clientInput.parse(input);
  const clientId = c.clientId ?? randomBytes(12).toString('base64url');
  if (!replace && c.clientId && (await adapterIn(provider, trx).find(clientId))) throw new AppError('client_exists', 'error.client_exists', 409, { clientId });
  const secret = c.public ? undefined : randomBytes(32).toString('base64url');
  const metadata = {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    client_name: c.name,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: c.grants,
    response_types: c.grants.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
    id_token_signed_response_alg: c.idTokenAlg,
    subject_type: c.subjectType,
    first_party: c.firstParty,
    require_mfa: c.requireMfa,
    ...(c.portalProfile ? { portal_profile: c.portalProfile } : {}),
    ...(c.scope ? { scope: c.scope } : {}),
    ...(c.backchannelLogoutUri
      ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: c.backchannelLogoutSessionRequired }
      : {}),
  };
  // The constructor runs oidc-provider's client schema: invalid metadata throws here, before anything is stored.
  const ClientModel = clientModel(provider);
  const client = new ClientModel(metadata);
  await adapterIn(provider, trx).upsert(clientId, client.metadata());
  return { client_id: clientId, ...(secret ? { client_secret: secret } : {}) };
}
