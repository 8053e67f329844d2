// Pairwise subject identifiers (OpenID Connect Core §8.1). An app registered with subject_type pairwise gets for each
// person a sub of its own sector, the host of its redirect_uris, so that apps of different sectors cannot tell by
// sub that they serve the same person (as itsme and FranceConnect do). oidc-provider asks for it wherever such an app
// is given a sub: ID token, userinfo, introspection, JWT access tokens, logout tokens, and the id_token_hint it
// compares with the session; the account itself stays named by its public sub everywhere else.
//
// The sub is an HMAC-SHA256 of the sector and the account's public sub (oidc-provider's accountId; never the
// internal id), so the same at every login and in every process. Its key is derived (HKDF, a label of its own) from
// NATIONAL_NUMBER_HMAC_KEY: production already requires that key, so no deployment needs a new secret, and it is the
// one secret already bound never to change (changing it unlinks every eID card), as these subs need. The key is
// never logged: with it, whoever knows accounts' public subs could match them to every app's.
import { createHmac, hkdfSync } from 'node:crypto';
import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../app/settings.ts';
import type { Db } from '../platform/db/knex.ts';
import { nationalNumberKey } from '../domain/accounts/national-number-key.ts';
import { NOTIFICATIONS_SCOPE } from './scopes.ts';

export const SUBJECT_TYPES = ['public', 'pairwise'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

const LABEL = 'belid pairwise subject identifiers';

/** The pairwise sub of the account whose public sub is `accountSub`, for the apps of `sector`. */
function pairwiseSub(key: Buffer, sector: string, accountSub: string): string {
  // A space appears in no host: the sector and the account cannot run into each other.
  return createHmac('sha256', key).update(`${sector} ${accountSub}`).digest('base64url');
}

/** oidc-provider's pairwiseIdentifier, under a key derived from the national number's. */
export function pairwiseIdentifier(config: Pick<Config, 'nationalNumberHmacKey'>, db: Db) {
  const secret = nationalNumberKey(config, db);
  // HKDF is two HMACs for each sub given: not worth a cache of its own beside the secret's.
  const keyOf = async () => Buffer.from(hkdfSync('sha256', await secret(), '', LABEL, 32));
  // oidc-provider's Client#sectorIdentifier (the redirect_uris' host), which its types do not declare.
  const pairwise: NonNullable<Configuration['pairwiseIdentifier']> = async (_ctx, accountId, client) =>
    pairwiseSub(await keyOf(), (client as unknown as { sectorIdentifier: string }).sectorIdentifier, accountId);
  return pairwise;
}

// oidc-provider's loopback names, at which a native app is let in on any port (RFC 8252 §7.3).
const LOOPBACKS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A redirect URI whose host every app could register alike: all of them would share one sector, and its subs. */
const sharedByAll = (uri: URL, native: boolean) => !uri.host || (native && uri.protocol === 'http:' && LOOPBACKS.has(uri.hostname));

/**
 * What a pairwise app may not be, refused when it is registered (by staff or dynamically) and when it is loaded:
 * without a response type it has no sector (and no person's sub); on a host that names no one app (a custom scheme,
 * a native app's loopback) it would share its sector with every other; on several hosts it would need a
 * sector_identifier_uri, which oidc-provider would fetch at each load; and the notification API names people by
 * their public sub, which a pairwise app never learns.
 */
export function checkPairwise(metadata: Record<string, unknown>): void {
  if (metadata.subject_type !== 'pairwise') return;
  if (Array.isArray(metadata.response_types) && !metadata.response_types.length)
    throw new errors.InvalidClientMetadata('a pairwise app is one people log in to: an app with the client_credentials grant alone is given no sub');
  if (metadata.sector_identifier_uri !== undefined)
    throw new errors.InvalidClientMetadata('sector_identifier_uri is not supported: a pairwise app has its redirect_uris on one host, its sector');
  const uris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.filter((u): u is string => typeof u === 'string' && URL.canParse(u)) : [];
  const shared = uris.find((u) => sharedByAll(new URL(u), metadata.application_type === 'native'));
  if (shared)
    throw new errors.InvalidClientMetadata(
      `a pairwise app's sector is its redirect_uris' host; ${shared} names no one host (a custom scheme has none, and a native app's loopback address is every computer's own, at any port): use a claimed https URI`,
    );
  const hosts = [...new Set(uris.map((u) => new URL(u).host))];
  if (hosts.length > 1)
    throw new errors.InvalidClientMetadata(
      `a pairwise app has its redirect_uris on one host, its sector; these are on ${hosts.join(', ')}: register one app per host`,
    );
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [];
  if (scopes.includes(NOTIFICATIONS_SCOPE))
    throw new errors.InvalidClientMetadata(
      `${NOTIFICATIONS_SCOPE} names people by the sub a public app is given, which a pairwise app never learns: register it public`,
    );
}
