// Authentication context classes the provider asserts in ID tokens (`acr`), with the RFC 8176 `amr` values of each.
export const ACR = {
  password: 'urn:belid:acr:password',
  eid: 'urn:belid:acr:eid',
  /** A trusted upstream OpenID provider vouched for the person (`idp upstreams`); its own acr replaces this one when
   * the upstream is configured with --acr-from-upstream and says one. */
  federated: 'urn:belid:acr:fed',
  /** A passkey that verified its user (PIN or biometrics on the authenticator): provider/methods/passkey. */
  passkey: 'urn:belid:acr:passkey',
  /** A first step (a password, an upstream) and a second factor (provider/methods/second-factor); its amr names both,
   * as ['pwd', 'otp'] or ['pwd', 'hwk']. */
  mfa: 'urn:belid:acr:mfa',
} as const;

export const AMR = {
  password: ['pwd'],
  eid: ['sc', 'pin', 'hwk'],
  federated: ['fed'],
  passkey: ['hwk', 'user'],
} as const;
