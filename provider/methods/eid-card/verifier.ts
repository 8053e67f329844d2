// The provider's use of the Web eID validator: this site's origin, the configured trust anchors and OCSP policy,
// and the national number turned into its HMAC at once, so that no caller ever holds the number itself.
import type { X509Certificate } from 'node:crypto';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { nationalNumberKey } from '../../domain/accounts/national-number-key.ts';
import {
  createOcspCache,
  loadTrustAnchorFolder,
  nationalNumberHmac,
  PRODUCTION_TRUST_ANCHOR_FOLDER,
  validateEidAuthToken,
  type RevocationResult,
} from '../../eid/index.ts';

/** A card holder as the flows see them: the number only as HMAC (for lookups) and its first characters (for logs). */
export interface VerifiedCard {
  hmac: string;
  givenNames: string;
  surname: string;
  revocation: RevocationResult;
}

export const hmacPrefix = (hmac: string) => hmac.slice(0, 8);

export function createEidVerifier(config: Config, db: Db) {
  const origin = new URL(config.issuerUrl).origin;
  const cache = createOcspCache();
  let anchors: Promise<X509Certificate[]> | undefined;
  const trustAnchors = () => (anchors ??= loadTrustAnchorFolder(config.eidTrustAnchors ?? PRODUCTION_TRUST_ANCHOR_FOLDER));
  const hmacKey = nationalNumberKey(config, db);

  return {
    origin,
    /**
     * Throws an EidError (its own code and message for each refusal) unless the token is valid for `nonce`; the
     * card's CA certificates may link it to an anchor, never be one.
     */
    async verify(answer: { authToken: unknown; caCertificates?: readonly string[] }, nonce: string): Promise<VerifiedCard> {
      const holder = await validateEidAuthToken(answer.authToken, {
        origin,
        nonce,
        trustAnchors: await trustAnchors(),
        intermediates: (answer.caCertificates ?? []).map((der) => Buffer.from(der, 'base64')),
        caIssuers: config.eidCaIssuersHosts.length ? { hosts: config.eidCaIssuersHosts } : false,
        revocation: { ...(config.eidOcspResponderUrl ? { responderUrl: config.eidOcspResponderUrl } : {}), failOpen: config.eidOcspFailOpen, cache },
      });
      return {
        hmac: nationalNumberHmac(holder.nationalNumber, await hmacKey()),
        givenNames: holder.givenNames,
        surname: holder.surname,
        revocation: holder.revocation,
      };
    },
  };
}

export type EidVerifier = ReturnType<typeof createEidVerifier>;
