import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { AppError } from '../../provider/platform/errors.ts';
import { createOcspCache, type EidErrorCode, validateEidAuthToken, type ValidateEidAuthTokenOptions } from '../../provider/eid/index.ts';
import { BELGIAN_EID_POLICY, createTestEidPki, type TestEidPki } from '../../tools/test-cards/test-pki.ts';
import { algorithmFor, authToken, signedFields } from '../../card-bridge/web-eid.ts';
import { type Card, type CardOptions, flipSignatureBit, HOLDER, issueCard, makeToken, NONCE, ORIGIN, pem, withField } from './helpers.ts';

let ec: TestEidPki;
let rsa: TestEidPki;
let other: TestEidPki;
let card: Card;

beforeAll(async () => {
  [ec, rsa, other] = await Promise.all([createTestEidPki('ec-p384'), createTestEidPki('rsa-2048'), createTestEidPki('ec-p256')]);
  card = await issueCard(ec.citizenCa, 'ec-p384');
});

const validate = (token: unknown, options: Partial<ValidateEidAuthTokenOptions> = {}) =>
  validateEidAuthToken(token, { origin: ORIGIN, nonce: NONCE, trustAnchors: pem(ec.citizenCa.cert), revocation: false, ...options });

async function expectCode(promise: Promise<unknown>, code: EidErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code, name: 'EidError' });
}

describe('validateEidAuthToken accepts', () => {
  it.each([
    ['ES384', 'ec-p384'],
    ['ES256', 'ec-p256'],
    ['RS256', 'rsa-2048'],
    ['RS384', 'rsa-2048'],
    ['PS256', 'rsa-2048'],
    ['PS512', 'rsa-2048'],
  ] as const)('%s from a %s card, and resolves to the holder', async (algorithm, kind) => {
    const pki = kind === 'rsa-2048' ? rsa : ec;
    const holderCard = await issueCard(pki.citizenCa, kind);
    const identity = await validate(await makeToken(holderCard, { algorithm }), { trustAnchors: pem(pki.citizenCa.cert) });
    expect(identity).toMatchObject({ ...HOLDER, revocation: 'not_checked' });
    expect(identity.certificate.raw.equals(Buffer.from(holderCard.certificate.rawData))).toBe(true);
  });

  it('a token made by our card bridge (card-bridge/web-eid.ts)', async () => {
    const algorithm = algorithmFor({ name: 'ECDSA', namedCurve: 'P-384' });
    const signed = signedFields(algorithm, ORIGIN, NONCE);
    const signature = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, card.keys.privateKey, signed);
    const token = authToken(Buffer.from(card.certificate.rawData), algorithm, Buffer.from(signature));
    await expect(validate(token)).resolves.toMatchObject(HOLDER);
  });

  it('the token as JSON text as well as an object', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expect(validate(JSON.stringify(token))).resolves.toMatchObject(HOLDER);
  });

  it('a later minor format version and unknown extra fields', async () => {
    const token = withField(await makeToken(card, { algorithm: 'ES384' }), 'format', 'web-eid:1.1');
    await expect(validate(withField(token, 'unverifiedSigningCertificates', []))).resolves.toMatchObject(HOLDER);
  });

  it('the foreigner and the Root CA6 authentication policies, and certificates with or without a clientAuth EKU', async () => {
    for (const options of [
      { policies: [BELGIAN_EID_POLICY.foreignerAuthentication] },
      { policies: [BELGIAN_EID_POLICY.ca6CitizenAuthentication] },
      { policies: [BELGIAN_EID_POLICY.ca6ForeignerAuthentication] },
      { extendedKeyUsages: ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4'] },
    ]) {
      const token = await makeToken(await issueCard(ec.citizenCa, 'ec-p384', options), { algorithm: 'ES384' });
      await expect(validate(token)).resolves.toMatchObject(HOLDER);
    }
  });

  it('http origins on loopback hosts, for development', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8080']) {
      await expect(validate(await makeToken(card, { algorithm: 'ES384', origin }), { origin })).resolves.toMatchObject(HOLDER);
    }
  });
});

describe('trust anchors', () => {
  it('accept the issuing intermediate alone, as PEM or DER', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expect(validate(token, { trustAnchors: new Uint8Array(ec.citizenCa.cert.rawData) })).resolves.toMatchObject(HOLDER);
    await expect(validate(token, { trustAnchors: [pem(other.citizenCa.cert), pem(ec.citizenCa.cert)] })).resolves.toMatchObject(HOLDER);
  });

  it('accept a root when the intermediate that links to it is supplied', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expect(validate(token, { trustAnchors: pem(ec.root.cert), intermediates: pem(ec.citizenCa.cert) })).resolves.toMatchObject(HOLDER);
  });

  it('refuse a root alone, an intermediate whose root is not anchored, and another PKI', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(token, { trustAnchors: pem(ec.root.cert) }), 'certificate_untrusted');
    await expectCode(validate(token, { trustAnchors: pem(other.root.cert), intermediates: pem(ec.citizenCa.cert) }), 'certificate_untrusted');
    await expectCode(validate(token, { trustAnchors: [pem(other.root.cert), pem(other.citizenCa.cert)] }), 'certificate_untrusted');
  });

  it('refuse a configured CA that is not valid at the time of validation', async () => {
    const later = new Date(ec.citizenCa.cert.notAfter.getTime() + 1000);
    const longCard = await issueCard(ec.citizenCa, 'ec-p384', { notAfter: new Date(later.getTime() + 1000) });
    await expectCode(validate(await makeToken(longCard, { algorithm: 'ES384' }), { now: later }), 'certificate_untrusted');
  });

  it('keep a verified path with the OCSP answers, for the same anchors only and while its CAs are valid', async () => {
    const later = new Date(ec.citizenCa.cert.notAfter.getTime() + 1000);
    const longCard = await issueCard(ec.citizenCa, 'ec-p384', { notAfter: new Date(later.getTime() + 1000) });
    const token = await makeToken(longCard, { algorithm: 'ES384' });
    const cache = createOcspCache();
    const issuer = new X509Certificate(pem(ec.citizenCa.cert));
    cache.set(`${issuer.fingerprint256}/${new X509Certificate(Buffer.from(longCard.certificate.rawData)).serialNumber}`, 'good');
    const cached = { revocation: { cache } };
    await expect(validate(token, cached)).resolves.toMatchObject({ ...HOLDER, revocation: 'good' });
    await expect(validate(token, cached)).resolves.toMatchObject({ ...HOLDER, revocation: 'good' });
    await expectCode(validate(token, { ...cached, trustAnchors: pem(other.citizenCa.cert) }), 'certificate_untrusted');
    await expectCode(validate(token, { ...cached, now: later }), 'certificate_untrusted');
    // The token's own signature is checked every time.
    await expectCode(validate(token, { ...cached, nonce: 'another nonce' }), 'signature_invalid');
  });

  it('must be certificates', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(token, { trustAnchors: 'not a certificate' }), 'trust_anchors_invalid');
    await expectCode(validate(token, { trustAnchors: [] }), 'trust_anchors_invalid');
  });
});

describe('validateEidAuthToken refuses, each check with its own code', () => {
  it('a token of the wrong shape', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    const { signature: _omitted, ...unsigned } = token;
    for (const bad of [unsigned, '{not json', [token], withField(token, 'algorithm', 384), withField(token, 'unverifiedCertificate', '***'), 'x'.repeat(50)]) {
      await expectCode(validate(bad), 'token_malformed');
    }
    await expectCode(validate(withField(token, 'unverifiedCertificate', Buffer.from('no certificate').toString('base64'))), 'token_malformed');
    await expectCode(validate(withField(token, 'unverifiedSigningCertificates', [])), 'token_malformed');
  });

  it('an oversized token, before parsing it', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(withField(token, 'appVersion', 'x'.repeat(10_000))), 'token_too_large');
    await expectCode(validate(`{${' '.repeat(10_001)}`), 'token_too_large');
  });

  it('a format other than web-eid:1', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    for (const format of ['web-eid:2', 'web-eid:10', 'web-eid:1.00', 'web-eid:0.9', 'WEB-EID:1', 'web-eid:1.0 ']) {
      await expectCode(validate(withField(token, 'format', format)), 'unsupported_format');
    }
  });

  it('an algorithm outside the Web eID set, before looking at the certificate', async () => {
    const token = withField(await makeToken(card, { algorithm: 'ES384' }), 'unverifiedCertificate', 'AAAA');
    for (const algorithm of ['HS256', 'none', 'EdDSA', 'es384']) {
      await expectCode(validate(withField(token, 'algorithm', algorithm)), 'unsupported_algorithm');
    }
  });

  it('a certificate without digitalSignature, or with an EKU that lacks clientAuth', async () => {
    for (const options of [
      { keyUsage: x509.KeyUsageFlags.nonRepudiation },
      { keyUsage: x509.KeyUsageFlags.keyEncipherment },
      { extendedKeyUsages: ['1.3.6.1.5.5.7.3.4'] },
    ]) {
      const token = await makeToken(await issueCard(ec.citizenCa, 'ec-p384', options), { algorithm: 'ES384' });
      await expectCode(validate(token), 'certificate_purpose');
    }
  });

  it('a certificate without a Belgian authentication policy', async () => {
    for (const policies of [[BELGIAN_EID_POLICY.citizenSignature], [BELGIAN_EID_POLICY.ca6CitizenSignature], [], ['2.16.56.12.1.1.2'], ['2.16.56.13.6.1.1']]) {
      const token = await makeToken(await issueCard(ec.citizenCa, 'ec-p384', { policies }), { algorithm: 'ES384' });
      await expectCode(validate(token), 'certificate_policy');
    }
  });

  it('a certificate that has expired or is not valid yet', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(token, { now: new Date(card.certificate.notAfter.getTime() + 1000) }), 'certificate_expired');
    await expectCode(validate(token, { now: new Date(card.certificate.notBefore.getTime() - 1000) }), 'certificate_not_yet_valid');
  });

  it('a bad signature, a signature by another key, and an algorithm that does not fit the key', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(flipSignatureBit(token)), 'signature_invalid');
    const impostor = await makeToken({ ...(await issueCard(ec.citizenCa, 'ec-p384')), certificate: card.certificate }, { algorithm: 'ES384' });
    await expectCode(validate(impostor), 'signature_invalid');
    await expectCode(validate(withField(token, 'algorithm', 'ES256')), 'signature_invalid');
    await expectCode(validate(withField(token, 'algorithm', 'RS384')), 'signature_invalid');
    await expectCode(validate(withField(token, 'signature', 'AAAA')), 'signature_invalid');
  });

  it('a token signed for another origin or nonce', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    await expectCode(validate(token, { origin: 'https://evil.example.be' }), 'signature_invalid');
    await expectCode(validate(token, { origin: 'https://login.example.be:8443' }), 'signature_invalid');
    await expectCode(validate(token, { nonce: `${NONCE.slice(0, -2)}A=` }), 'signature_invalid');
  });

  it('an origin that is not an https (or loopback http) origin, and a missing nonce', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    for (const origin of [
      'http://login.example.be',
      'https://login.example.be/',
      'https://login.example.be/path',
      'login.example.be',
      'http://localhost.example.be',
    ]) {
      await expectCode(validate(token, { origin }), 'origin_invalid');
    }
    await expectCode(validate(token, { nonce: '' }), 'nonce_invalid');
  });

  it('in order: a token that breaks several checks fails the earliest one', async () => {
    const past = { notBefore: new Date('2010-01-01'), notAfter: new Date('2011-01-01') };
    const signaturePolicy = [BELGIAN_EID_POLICY.citizenSignature];
    const cases: [CardOptions, EidErrorCode][] = [
      [{ keyUsage: x509.KeyUsageFlags.nonRepudiation, policies: signaturePolicy, ...past }, 'certificate_purpose'],
      [{ policies: signaturePolicy, ...past }, 'certificate_policy'],
      [past, 'certificate_expired'],
      [{}, 'certificate_untrusted'],
    ];
    for (const [options, code] of cases) {
      const token = flipSignatureBit(await makeToken(await issueCard(other.citizenCa, 'ec-p384', options), { algorithm: 'ES384' }));
      await expectCode(validate(token), code);
      await expectCode(validate(withField(token, 'algorithm', 'XX384')), 'unsupported_algorithm');
      await expectCode(validate(withField(withField(token, 'algorithm', 'XX384'), 'format', 'web-eid:2')), 'unsupported_format');
    }
  });

  it('with an AppError carrying a status and a message for the card holder', async () => {
    const token = await makeToken(card, { algorithm: 'ES384' });
    const error = await validate(token, { now: new Date(card.certificate.notAfter.getTime() + 1000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'certificate_expired', status: 401, message: expect.stringMatching(/renew your card/) });
  });
});
