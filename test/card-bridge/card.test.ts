// The card layer on a real SoftHSM2 token (EC P-384), in this process; what SoftHSM cannot do (PIN counters,
// a blocked PIN, a pulled card, a PIN pad) is injected at the PKCS#11 boundary.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticate, readCard } from '../../card-bridge/card.ts';
import { closeModule, loadModule, type Pkcs11Api, type Pkcs11Module } from '../../card-bridge/pkcs11/module.ts';
import { findByLabel, readAttribute, withSession } from '../../card-bridge/pkcs11/session.ts';
import { findEid, type SlotReport } from '../../card-bridge/pkcs11/slots.ts';
import { validateEidAuthToken } from '../../provider/eid/index.ts';
import { has } from '../helpers/components.ts';
import {
  freePort,
  pkcs11Error,
  randomNonce,
  removeVirtualCards,
  SOFTHSM_MODULE,
  startOcspResponder,
  virtualCard,
  type VirtualCard,
  webEidSignatureValid,
  withFaults,
} from './helpers.ts';

const PIN = '2468';
const ORIGIN = 'https://idp.example.be';
const HOLDER = { nationalNumber: '01050399864', surname: 'Specimen', givenNames: 'Nora Angèle', cardNumber: '591937264510' };

describe.skipIf(!has('softhsm'))('a Belgian eID on a PKCS#11 token', () => {
  let card: VirtualCard;
  let module: Pkcs11Module;
  let slot: SlotReport;
  let ocspPort: number;

  beforeAll(async () => {
    ocspPort = await freePort();
    card = await virtualCard([
      '--national-number',
      HOLDER.nationalNumber,
      '--surname',
      HOLDER.surname,
      '--given-names',
      HOLDER.givenNames,
      '--card-number',
      HOLDER.cardNumber,
      '--pin',
      PIN,
      '--ocsp-url',
      `http://127.0.0.1:${ocspPort}`,
    ]);
    // SoftHSM reads its configuration when this process initialises the module.
    process.env.SOFTHSM2_CONF = card.conf;
    module = loadModule(SOFTHSM_MODULE);
    slot = findEid(module.api);
  });
  afterAll(() => {
    closeModule(module);
    removeVirtualCards();
  });

  const sign = (api: Pkcs11Api, pin: string | null = PIN, nonce = randomNonce()) => authenticate(api, findEid(api).handle, { pin, origin: ORIGIN, nonce });

  it('is found by its BELPIC label, with no PIN pad', () => {
    expect(slot).toMatchObject({ eid: true, tokenLabel: 'BELPIC', pinPad: false, cardPresent: true });
  });

  it('tells the holder from the certificate and the data objects', () => {
    expect(readCard(module.api, slot.handle)).toEqual({
      nationalNumber: HOLDER.nationalNumber,
      surname: HOLDER.surname,
      givenNames: HOLDER.givenNames,
      card: expect.objectContaining({
        cardNumber: HOLDER.cardNumber,
        nationalNumber: HOLDER.nationalNumber,
        surname: HOLDER.surname,
        firstnames: 'Nora Angèle',
        firstLetterOfThirdGivenName: '',
        dateOfBirth: '03 MEI 2001',
        gender: 'V',
        validityEndDate: expect.stringMatching(/^\d\d\.\d\d\.\d{4}$/),
        addressStreetAndNumber: 'Wetstraat 16',
        addressZip: '1000',
        addressMunicipality: 'Brussel',
        chipNumber: expect.stringMatching(/^[0-9A-F]{32}$/),
        photoHash: expect.stringMatching(/^[0-9A-F]{64}$/),
      }),
    });
  });

  it('reports the binary objects (chip number, photo hash) as the hex of the bytes on the card', () => {
    const { card: data } = readCard(module.api, slot.handle);
    const raw = (label: string) => withSession(module.api, slot.handle, (s) => readAttribute(s, findByLabel(s, pkcs11js.CKO_DATA, label)!, pkcs11js.CKA_VALUE));
    expect(raw('chip_number')).toHaveLength(16);
    expect(data.chipNumber).toBe(raw('chip_number').toString('hex').toUpperCase());
    expect(raw('photo_hash')).toHaveLength(32);
    expect(data.photoHash).toBe(raw('photo_hash').toString('hex').toUpperCase());
  });

  it("signs an ES384 Web eID token that verifies with the certificate's key", () => {
    const nonce = randomNonce();
    const { authToken, identity } = sign(module.api, PIN, nonce);
    expect(authToken).toMatchObject({ format: 'web-eid:1.0', algorithm: 'ES384', appVersion: expect.stringContaining('eid-bridge') });
    expect(Buffer.from(authToken.signature, 'base64')).toHaveLength(96); // raw r‖s for P-384
    const provisioned = new X509Certificate(readFileSync(join(card.pki, 'authentication.pem')));
    expect(Buffer.from(authToken.unverifiedCertificate, 'base64').equals(provisioned.raw)).toBe(true);
    expect(webEidSignatureValid(authToken, ORIGIN, nonce)).toBe(true);
    expect(webEidSignatureValid(authToken, ORIGIN, randomNonce())).toBe(false);
    expect(webEidSignatureValid(authToken, 'https://evil.example', nonce)).toBe(false);
    expect(identity.nationalNumber).toBe(HOLDER.nationalNumber);
  });

  it.skipIf(!has('openssl'))("makes tokens the provider's validator accepts with the card's own CA certificate, OCSP of the test PKI included", async () => {
    const responder = await startOcspResponder(card.pki, ocspPort);
    try {
      const nonce = randomNonce();
      const { authToken, caCertificates } = sign(module.api, PIN, nonce);
      const cardCa = caCertificates.map((der) => Buffer.from(der, 'base64'));
      expect(cardCa.map((der) => new X509Certificate(der).subject)).toEqual([new X509Certificate(readFileSync(join(card.pki, 'citizen-ca.pem'))).subject]);
      const identity = await validateEidAuthToken(authToken, {
        origin: ORIGIN,
        nonce,
        trustAnchors: readFileSync(join(card.pki, 'root.pem'), 'utf8'),
        intermediates: cardCa,
        revocation: {},
      });
      expect(identity).toMatchObject({ nationalNumber: HOLDER.nationalNumber, surname: HOLDER.surname, revocation: 'good' });
    } finally {
      void responder.stop();
    }
  });

  it('says pin_incorrect for a wrong PIN, and still accepts the right one', () => {
    // SoftHSM raises "count low" after a wrong PIN though it never blocks; on a 3-try card that means 2 left.
    expect(() => sign(module.api, '9753')).toThrow(expect.objectContaining({ code: 'pin_incorrect', message: 'Wrong PIN: 2 tries left', triesLeft: 2 }));
    expect(sign(module.api).authToken.algorithm).toBe('ES384');
  });

  it('says "Wrong PIN" without a count when the module keeps none (as beid)', () => {
    const api = withFaults(module.api, {
      C_Login: () => {
        throw pkcs11Error('CKR_PIN_INCORRECT');
      },
    });
    expect(() => sign(api)).toThrow(expect.objectContaining({ code: 'pin_incorrect', message: 'Wrong PIN', triesLeft: undefined }));
  });

  it.each(['123', '1234567890123', '12a4', ''])('refuses the PIN "%s" as pin_length before it reaches the card', (pin) => {
    const login = vi.fn();
    expect(() => sign(withFaults(module.api, { C_Login: login }), pin)).toThrow(
      expect.objectContaining({ code: 'pin_length', message: 'The PIN of a Belgian eID has 4 to 12 digits' }),
    );
    expect(login).not.toHaveBeenCalled();
  });

  const withFlags = (flags: number): Partial<Pkcs11Api> => ({
    C_GetTokenInfo: (s) => {
      const info = module.api.C_GetTokenInfo(s);
      return { ...info, flags: info.flags | flags };
    },
  });

  it.each([
    [
      'the count is low',
      {
        C_Login: () => {
          throw pkcs11Error('CKR_PIN_INCORRECT');
        },
        ...withFlags(pkcs11js.CKF_USER_PIN_COUNT_LOW),
      },
      { code: 'pin_incorrect', triesLeft: 2, message: 'Wrong PIN: 2 tries left' },
    ],
    [
      'it is the final try',
      {
        C_Login: () => {
          throw pkcs11Error('CKR_PIN_INCORRECT');
        },
        ...withFlags(pkcs11js.CKF_USER_PIN_FINAL_TRY),
      },
      { code: 'pin_incorrect', triesLeft: 1, message: 'Wrong PIN: 1 try left, a further wrong PIN blocks the card' },
    ],
    [
      'the last try failed',
      {
        C_Login: () => {
          throw pkcs11Error('CKR_PIN_INCORRECT');
        },
        ...withFlags(pkcs11js.CKF_USER_PIN_LOCKED),
      },
      { code: 'pin_locked', message: 'PIN blocked: ask your municipality for your PUK code' },
    ],
    [
      'the PIN is blocked',
      {
        C_Login: () => {
          throw pkcs11Error('CKR_PIN_LOCKED');
        },
      },
      { code: 'pin_locked', triesLeft: 0, message: 'PIN blocked: ask your municipality for your PUK code' },
    ],
    [
      'the PIN pad entry is cancelled',
      {
        C_Login: () => {
          throw pkcs11Error('CKR_FUNCTION_CANCELED');
        },
      },
      { code: 'cancelled' },
    ],
    [
      'the card is pulled while signing',
      {
        C_Sign: () => {
          throw pkcs11Error('CKR_DEVICE_REMOVED', 'C_Sign');
        },
      },
      { code: 'card_removed', message: 'The card was removed: insert it again and retry' },
    ],
    [
      'the token is gone before signing',
      {
        C_SignInit: () => {
          throw pkcs11Error('CKR_TOKEN_NOT_PRESENT', 'C_SignInit');
        },
      },
      { code: 'card_removed' },
    ],
    [
      'the session died with the card',
      {
        C_FindObjectsInit: () => {
          throw pkcs11Error('CKR_SESSION_HANDLE_INVALID', 'C_FindObjectsInit');
        },
      },
      { code: 'card_removed' },
    ],
    [
      'the reader fails',
      {
        C_Sign: () => {
          throw pkcs11Error('CKR_DEVICE_ERROR', 'C_Sign');
        },
      },
      {
        code: 'card_error',
        message:
          'The card or the card reader did not answer properly (CKR_DEVICE_ERROR): take the card out, insert it again and retry; if it keeps failing, try another reader',
      },
    ],
    [
      'the chip is not recognised any more',
      {
        C_FindObjectsInit: () => {
          throw pkcs11Error('CKR_TOKEN_NOT_RECOGNIZED', 'C_FindObjectsInit');
        },
      },
      { code: 'card_error', message: expect.stringContaining('(CKR_TOKEN_NOT_RECOGNIZED): take the card out') },
    ],
    [
      'the middleware fails',
      {
        C_SignInit: () => {
          throw pkcs11Error('CKR_FUNCTION_FAILED', 'C_SignInit');
        },
      },
      { code: 'card_error', message: expect.stringContaining('did not answer properly (CKR_FUNCTION_FAILED)') },
    ],
    [
      'the module refuses the mechanism',
      {
        C_SignInit: () => {
          throw pkcs11Error('CKR_MECHANISM_INVALID', 'C_SignInit');
        },
      },
      { code: 'card_error', message: 'The eID software refused the operation (CKR_MECHANISM_INVALID): update the Belgian eID software, then retry' },
    ],
  ] as [string, Partial<Pkcs11Api>, object][])('when %s, the error is mapped and the session closed', (_, faults, expected) => {
    let open = 0;
    const api = withFaults(module.api, {
      C_OpenSession: (s, flags) => (open++, module.api.C_OpenSession(s, flags)),
      C_CloseSession: (h) => (open--, module.api.C_CloseSession(h)),
      ...faults,
    });
    expect(() => sign(api)).toThrow(expect.objectContaining(expected));
    expect(open).toBe(0);
  });

  it.each([
    ['no reader is connected', { C_GetSlotList: () => [] }, 'no_reader', 'No card reader found: connect your card reader'],
    [
      'the reader is empty',
      { C_GetSlotInfo: (s) => ({ ...module.api.C_GetSlotInfo(s), flags: 0 }) },
      'no_card',
      'No card in the reader: insert your Belgian eID card',
    ],
    [
      'another card is in the reader',
      { C_GetTokenInfo: (s) => ({ ...module.api.C_GetTokenInfo(s), label: 'OpenPGP card'.padEnd(32) }) },
      'not_eid',
      'The card in the reader is not a Belgian eID: insert your eID card',
    ],
  ] as [string, Partial<Pkcs11Api>, string, string][])('says so when %s', (_, faults, code, message) => {
    expect(() => findEid(withFaults(module.api, faults))).toThrow(expect.objectContaining({ code, message }));
  });

  it('logs in through the PIN pad with an empty PIN when the reader has one', () => {
    const pins: string[] = [];
    const api = withFaults(module.api, {
      ...withFlags(pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH),
      // The reader's keypad: the module receives no PIN from the computer, the citizen types it on the reader.
      C_Login: (session, user, pin) => {
        pins.push(pin ?? '');
        module.api.C_Login(session, user, PIN);
      },
    });
    expect(findEid(api).pinPad).toBe(true);
    const nonce = randomNonce();
    const { authToken } = sign(api, null, nonce);
    expect(pins).toEqual(['']);
    expect(webEidSignatureValid(authToken, ORIGIN, nonce)).toBe(true);
  });
});
