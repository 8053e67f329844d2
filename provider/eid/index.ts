// Public surface of the eID module (package subpath `belid/eid`).
export { validateEidAuthToken, type EidIdentity, type ValidateEidAuthTokenOptions } from './validate-auth-token.ts';
export { EidError, isEidError, type EidErrorCode } from './errors.ts';
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './auth-token.ts';
export { BELGIAN_AUTHENTICATION_POLICIES, type CardHolder } from './card-certificate.ts';
export { HTTP_DEVELOPMENT_HOSTS } from './origin.ts';
export type { RevocationOptions, RevocationResult } from './revocation.ts';
export { caIssuerUrls, type CaIssuersOptions } from './ca-issuers.ts';
export { BELGIAN_CA_ISSUER_HOSTS } from './ca-issuer-hosts.ts';
export { createOcspCache, DEFAULT_OCSP_CACHE_TTL_MS, type OcspCache, type OcspCacheOptions } from './ocsp-cache.ts';
export type { CertificateStatus } from './ocsp-client.ts';
export { loadTrustAnchorFolder, parseCertificates, PRODUCTION_TRUST_ANCHOR_FOLDER, type CertificateInput } from './trust-anchors.ts';
export { nationalNumberHmac, nationalNumberHmacEquals, normaliseNationalNumber } from './national-number-hmac.ts';
