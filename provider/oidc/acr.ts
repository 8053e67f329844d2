// Authentication context classes the provider asserts in ID tokens (`acr`), with the RFC 8176 `amr` values of each.
export const ACR = {
  password: 'urn:belid:acr:password',
  eid: 'urn:belid:acr:eid',
} as const;

export const AMR = {
  password: ['pwd'],
  eid: ['sc', 'pin', 'hwk'],
} as const;
