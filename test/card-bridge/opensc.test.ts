// A card as OpenSC shows it (`npm run test-cards -- --style opensc`): certificates and keys from the card's PKCS#15
// structure, token "BELPIC (Basic PIN)", and none of beid's identity data objects. The bridge still finds it,
// names the holder from the Authentication certificate, and signs tokens the provider's validator accepts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, readCard } from '../../card-bridge/card.ts';
import { closeModule, loadModule, type Pkcs11Module } from '../../card-bridge/pkcs11/module.ts';
import { findObjects, withSession } from '../../card-bridge/pkcs11/session.ts';
import { findEid } from '../../card-bridge/pkcs11/slots.ts';
import { validateEidAuthToken } from '../../provider/eid/index.ts';
import { has } from '../helpers/components.ts';
import { randomNonce, removeVirtualCards, runCli, SOFTHSM_MODULE, virtualCard, type VirtualCard, webEidSignatureValid } from './helpers.ts';

const ORIGIN = 'https://idp.example.be';
const HOLDER = ['--national-number', '01050399864', '--surname', 'Specimen', '--given-names', 'Nora Angèle'];

describe.skipIf(!has('softhsm'))('a Belgian eID read through OpenSC (no identity objects)', () => {
  let card: VirtualCard;
  let module: Pkcs11Module;

  beforeAll(async () => {
    card = await virtualCard(['--style', 'opensc', '--pin', '2580', ...HOLDER]);
    process.env.SOFTHSM2_CONF = card.conf;
    module = loadModule(SOFTHSM_MODULE);
  });
  afterAll(() => {
    closeModule(module);
    removeVirtualCards();
  });

  it('is found by its OpenSC label, and holds no data object at all', () => {
    const slot = findEid(module.api);
    expect(slot.tokenLabel).toBe('BELPIC (Basic PIN)');
    expect(withSession(module.api, slot.handle, (s) => findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA }]))).toEqual([]);
  });

  it('names the holder from the certificate, with no card number', async () => {
    const slot = findEid(module.api);
    expect(readCard(module.api, slot.handle)).toEqual({ nationalNumber: '01050399864', surname: 'Specimen', givenNames: 'Nora Angèle', card: {} });
    const read = await runCli(['read'], card.env);
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ nationalNumber: '01050399864', givenNames: 'Nora Angèle', card: {} });
  });

  it('signs a token the validator accepts, naming the same holder', async () => {
    const nonce = randomNonce();
    const { authToken, identity, caCertificates } = authenticate(module.api, findEid(module.api).handle, { pin: '2580', origin: ORIGIN, nonce });
    expect(identity.card.cardNumber).toBeUndefined();
    expect(webEidSignatureValid(authToken, ORIGIN, nonce)).toBe(true);
    const holder = await validateEidAuthToken(authToken, {
      origin: ORIGIN,
      nonce,
      trustAnchors: readFileSync(join(card.pki, 'root.pem'), 'utf8'),
      intermediates: caCertificates.map((der) => Buffer.from(der, 'base64')),
      revocation: false,
    });
    expect(holder).toMatchObject({ nationalNumber: '01050399864', surname: 'Specimen', givenNames: 'Nora Angèle' });
  });
});
