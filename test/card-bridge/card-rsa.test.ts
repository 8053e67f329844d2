// An RSA-2048 card (like the older Belgian eIDs): RS256 by default, PS256 on request, both verified with the
// certificate's public key and accepted by the provider's validator.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticate } from '../../card-bridge/card.ts';
import { closeModule, loadModule, type Pkcs11Module } from '../../card-bridge/pkcs11/module.ts';
import { findEid } from '../../card-bridge/pkcs11/slots.ts';
import type { WebEidAlgorithm } from '../../card-bridge/web-eid.ts';
import { validateEidAuthToken } from '../../provider/eid/index.ts';
import { has } from '../helpers/components.ts';
import { randomNonce, removeVirtualCards, withFaults, SOFTHSM_MODULE, virtualCard, type VirtualCard, webEidSignatureValid } from './helpers.ts';

const ORIGIN = 'http://localhost:3000';

describe.skipIf(!has('softhsm'))('a Belgian eID with RSA-2048 keys', () => {
  let card: VirtualCard;
  let module: Pkcs11Module;

  beforeAll(async () => {
    card = await virtualCard(['--key', 'rsa-2048', '--pin', '1357']);
    process.env.SOFTHSM2_CONF = card.conf;
    module = loadModule(SOFTHSM_MODULE);
  });
  afterAll(() => {
    closeModule(module);
    removeVirtualCards();
  });

  const sign = (nonce: string, algorithm?: WebEidAlgorithm, api = module.api) =>
    authenticate(api, findEid(api).handle, { pin: '1357', origin: ORIGIN, nonce, algorithm });

  it.each([
    [undefined, 'RS256'],
    ['PS256', 'PS256'],
  ] as const)('signs with %s → %s, verifiable with the certificate and accepted by the validator', async (requested, algorithm) => {
    const nonce = randomNonce();
    const { authToken } = sign(nonce, requested);
    expect(authToken.algorithm).toBe(algorithm);
    expect(Buffer.from(authToken.signature, 'base64')).toHaveLength(256);
    expect(webEidSignatureValid(authToken, ORIGIN, nonce)).toBe(true);
    expect(webEidSignatureValid(authToken, ORIGIN, randomNonce())).toBe(false);
    const identity = await validateEidAuthToken(authToken, {
      origin: ORIGIN,
      nonce,
      trustAnchors: readFileSync(join(card.pki, 'root.pem'), 'utf8'),
      intermediates: readFileSync(join(card.pki, 'citizen-ca.pem'), 'utf8'),
      revocation: false,
    });
    expect(identity.nationalNumber).toBe('85073100328');
  });

  it('signs PS256 with CKM_SHA256_RSA_PKCS_PSS, the PSS mechanism beid offers', () => {
    const mechanisms: number[] = [];
    const api = withFaults(module.api, {
      C_SignInit: (session, mechanism, key) => (mechanisms.push(mechanism.mechanism), module.api.C_SignInit(session, mechanism, key)),
    });
    sign(randomNonce(), 'PS256', api);
    expect(mechanisms).toEqual([pkcs11js.CKM_SHA256_RSA_PKCS_PSS]);
  });

  it('refuses PS256 before the PIN when the module does not offer that mechanism', () => {
    const login = vi.fn((session: Buffer, user: number, pin?: string) => module.api.C_Login(session, user, pin));
    const api = withFaults(module.api, {
      C_Login: login,
      C_GetMechanismList: (slot) => module.api.C_GetMechanismList(slot).filter((m) => m !== pkcs11js.CKM_SHA256_RSA_PKCS_PSS),
    });
    expect(() => sign(randomNonce(), 'PS256', api)).toThrow(
      expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('cannot sign with PS256') }),
    );
    expect(login).not.toHaveBeenCalled();
    expect(sign(randomNonce(), undefined, api).authToken.algorithm).toBe('RS256');
    expect(login).toHaveBeenCalledOnce();
  });

  it('refuses an EC algorithm for an RSA key', () => {
    expect(() => sign(randomNonce(), 'ES384')).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});
