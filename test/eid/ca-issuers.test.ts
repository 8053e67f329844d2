// A card whose issuing CA is not configured: the validator fetches the CA from the address the card's certificate
// names (AIA caIssuers), as Belgian cards since 2017 name it, but only from allowed hosts, and trusts what it gets
// only when a configured root signed it. A real HTTP server on loopback publishes the CA certificates.
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BELGIAN_CA_ISSUER_HOSTS, caIssuerUrls, validateEidAuthToken, type ValidateEidAuthTokenOptions } from '../../provider/eid/index.ts';
import { createTtlCache } from '../../provider/eid/ttl-cache.ts';
import { createTestEidPki, type TestEidPki } from '../../tools/test-cards/test-pki.ts';
import { HOLDER, issueCard, makeToken, NONCE, ORIGIN, pem } from './helpers.ts';

let pki: TestEidPki;
let impostor: TestEidPki;
let server: http.Server;
let base: string;
const asked: string[] = [];
/** What the publisher serves, by path. */
const published = new Map<string, Uint8Array>();

beforeAll(async () => {
  [pki, impostor] = await Promise.all([createTestEidPki('ec-p384'), createTestEidPki('ec-p384')]);
  published.set('/citizen.crt', new Uint8Array(pki.citizenCa.cert.rawData));
  published.set('/forged.crt', new Uint8Array(impostor.citizenCa.cert.rawData));
  published.set('/card.crt', new Uint8Array((await issueCard(pki.citizenCa, 'ec-p384')).certificate.rawData));
  server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    const body = published.get(req.url ?? '');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/pkix-cert' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A card whose certificate names `path` on the publisher as its issuer's address, validated against the root alone. */
async function validate(path: string, options: Partial<ValidateEidAuthTokenOptions>) {
  const card = await issueCard(pki.citizenCa, 'ec-p384', { caIssuersUrl: `${base}${path}` });
  return validateEidAuthToken(await makeToken(card, { algorithm: 'ES384' }), {
    origin: ORIGIN,
    nonce: NONCE,
    trustAnchors: pem(pki.root.cert),
    revocation: false,
    ...options,
  });
}

const allowed = () => ({ hosts: ['127.0.0.1'], cache: createTtlCache<X509Certificate[]>({ ttlMs: 60_000, maxEntries: 10 }) });

describe("the issuing CA fetched from the card certificate's caIssuers address", () => {
  it('links a card to the configured root, asking the publisher once while the answer is cached', async () => {
    asked.length = 0;
    const caIssuers = allowed();
    await expect(validate('/citizen.crt', { caIssuers })).resolves.toMatchObject(HOLDER);
    await expect(validate('/citizen.crt', { caIssuers })).resolves.toMatchObject(HOLDER);
    expect(asked).toEqual(['/citizen.crt']);
  });

  it('is not asked at all unless the caller allows hosts, and never a host that is not allowed', async () => {
    asked.length = 0;
    await expect(validate('/citizen.crt', {})).rejects.toMatchObject({ code: 'certificate_untrusted' });
    await expect(validate('/citizen.crt', { caIssuers: { hosts: BELGIAN_CA_ISSUER_HOSTS } })).rejects.toMatchObject({ code: 'certificate_untrusted' });
    expect(asked).toEqual([]);
  });

  it('leaves the card untrusted when the publisher serves a CA no configured root signed, no CA, nothing, or is down', async () => {
    for (const path of ['/forged.crt', '/card.crt', '/missing.crt']) {
      await expect(validate(path, { caIssuers: allowed() }), path).rejects.toMatchObject({ code: 'certificate_untrusted' });
    }
    const down = await issueCard(pki.citizenCa, 'ec-p384', { caIssuersUrl: 'http://127.0.0.1:9/citizen.crt' });
    const token = await makeToken(down, { algorithm: 'ES384' });
    await expect(
      validateEidAuthToken(token, { origin: ORIGIN, nonce: NONCE, trustAnchors: pem(pki.root.cert), revocation: false, caIssuers: allowed() }),
    ).rejects.toMatchObject({ code: 'certificate_untrusted' });
  });

  it('reads only http(s) addresses on the allowed hosts, whatever their case', async () => {
    const { certificate } = await issueCard(pki.citizenCa, 'ec-p384', { caIssuersUrl: 'HTTP://Certs.EID.Belgium.be/citizen201803.crt' });
    expect(caIssuerUrls(certificate, BELGIAN_CA_ISSUER_HOSTS)).toEqual(['http://certs.eid.belgium.be/citizen201803.crt']);
    expect(caIssuerUrls(certificate, ['crt.eidpki.belgium.be'])).toEqual([]);
    const ldap = await issueCard(pki.citizenCa, 'ec-p384', { caIssuersUrl: 'ldap://certs.eid.belgium.be/cn=Citizen%20CA' });
    expect(caIssuerUrls(ldap.certificate, BELGIAN_CA_ISSUER_HOSTS)).toEqual([]);
  });
});
