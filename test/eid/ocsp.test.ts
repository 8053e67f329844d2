import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOcspCache, type RevocationOptions, validateEidAuthToken } from '../../provider/eid/index.ts';
import { createTestEidPki, type TestEidPki } from '../../tools/test-cards/test-pki.ts';
import { has } from '../helpers/components.ts';
import { type Card, flipSignatureBit, HOLDER, issueCard, makeToken, NONCE, ORIGIN, pem } from './helpers.ts';
import { freePort, type OcspResponder, startOcspResponder } from './ocsp-responder.ts';

describe.skipIf(!has('openssl'))('revocation by OCSP against a real openssl responder', () => {
  let pki: TestEidPki;
  let other: TestEidPki;
  let responder: OcspResponder;
  let good: Card;
  let revoked: Card;
  let unknown: Card;
  const running: { stop(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    [pki, other] = await Promise.all([createTestEidPki('ec-p384'), createTestEidPki('ec-p384')]);
    const port = await freePort();
    const ocspUrl = `http://127.0.0.1:${port}`;
    const issue = () => issueCard(pki.citizenCa, 'ec-p384', { ocspUrl });
    [good, revoked, unknown] = await Promise.all([issue(), issue(), issue()]);
    responder = await started(
      startOcspResponder({ ca: pki.citizenCa, signer: pki.ocspResponder, good: [good.certificate], revoked: [revoked.certificate], port }),
    );
  });

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
  });

  async function validate(card: Card, revocation: RevocationOptions = {}, options: { now?: Date; anchor?: TestEidPki } = {}) {
    return validateEidAuthToken(await makeToken(card, { algorithm: 'ES384' }), {
      origin: ORIGIN,
      nonce: NONCE,
      trustAnchors: pem((options.anchor ?? pki).citizenCa.cert),
      revocation: { cache: createOcspCache(), ...revocation },
      ...(options.now && { now: options.now }),
    });
  }

  async function started(r: Promise<OcspResponder>): Promise<OcspResponder> {
    const responder = await r;
    running.push(responder);
    return responder;
  }

  it('accepts a card the responder calls good, asking the responder named in the certificate', async () => {
    await expect(validate(good)).resolves.toMatchObject({ ...HOLDER, revocation: 'good' });
  });

  it('refuses a revoked card, before looking at the signature', async () => {
    await expect(validate(revoked)).rejects.toMatchObject({ code: 'certificate_revoked' });
    const token = flipSignatureBit(await makeToken(revoked, { algorithm: 'ES384' }));
    await expect(
      validateEidAuthToken(token, { origin: ORIGIN, nonce: NONCE, trustAnchors: pem(pki.citizenCa.cert), revocation: { cache: createOcspCache() } }),
    ).rejects.toMatchObject({ code: 'certificate_revoked' });
  });

  it('refuses a card the responder does not know, and asks again at the next try', async () => {
    const cache = createOcspCache();
    await expect(validate(unknown, { cache })).rejects.toMatchObject({ code: 'certificate_status_unknown' });
    // A card issued minutes ago may be unknown to the responder for a while: once it knows the card, the holder's
    // next try goes through, not one after the cache's five minutes.
    const port = await freePort();
    await started(startOcspResponder({ ca: pki.citizenCa, signer: pki.ocspResponder, good: [unknown.certificate], port }));
    await expect(validate(unknown, { cache, responderUrl: `http://127.0.0.1:${port}` })).resolves.toMatchObject({ revocation: 'good' });
  });

  it('accepts answers signed by the CA itself, with RSA keys', async () => {
    const rsa = await createTestEidPki('rsa-2048');
    const card = await issueCard(rsa.citizenCa, 'rsa-2048');
    const caSigned = await started(startOcspResponder({ ca: rsa.citizenCa, signer: rsa.citizenCa, good: [card.certificate] }));
    const token = await makeToken(card, { algorithm: 'RS256' });
    const identity = await validateEidAuthToken(token, {
      origin: ORIGIN,
      nonce: NONCE,
      trustAnchors: pem(rsa.root.cert),
      intermediates: pem(rsa.citizenCa.cert),
      revocation: { responderUrl: caSigned.url, cache: createOcspCache() },
    });
    expect(identity.revocation).toBe('good');
  });

  it('refuses answers signed by a responder that the card issuer did not authorise', async () => {
    const otherCa = await started(startOcspResponder({ ca: pki.citizenCa, signer: other.ocspResponder, good: [good.certificate] }));
    await expect(validate(good, { responderUrl: otherCa.url })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
    // Issued by the right CA, but not for OCSP signing.
    const cardSigner = { cert: unknown.certificate, privateKey: unknown.keys.privateKey };
    const noEku = await started(startOcspResponder({ ca: pki.citizenCa, signer: cardSigner, good: [good.certificate] }));
    await expect(validate(good, { responderUrl: noEku.url })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
  });

  it('asks a configured responder for a certificate that names none, and cannot check without one', async () => {
    const card = await issueCard(pki.citizenCa, 'ec-p384');
    const local = await started(startOcspResponder({ ca: pki.citizenCa, signer: pki.ocspResponder, good: [card.certificate] }));
    await expect(validate(card, { responderUrl: local.url })).resolves.toMatchObject({ revocation: 'good' });
    await expect(validate(card, { failOpen: true })).rejects.toMatchObject({ code: 'ocsp_unavailable' });
  });

  it('refuses answers that are too old or from the future', async () => {
    await expect(validate(good, {}, { now: new Date(Date.now() + 5 * 60_000) })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
    await expect(validate(good, {}, { now: new Date(Date.now() - 20 * 60_000) })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
    await expect(validate(good, { maxResponseAgeMs: 10 * 60_000 }, { now: new Date(Date.now() + 5 * 60_000) })).resolves.toBeTruthy();
  });

  it('refuses a replayed answer, whose nonce is not ours', async () => {
    let recorded: Buffer | undefined;
    const replay = await serve(async (body) => {
      recorded ??= Buffer.from(await (await fetch(responder.url, { method: 'POST', body: new Uint8Array(body) })).arrayBuffer());
      return [200, recorded];
    });
    await expect(validate(good, { responderUrl: replay.url })).resolves.toMatchObject({ revocation: 'good' });
    await expect(validate(good, { responderUrl: replay.url })).rejects.toMatchObject({ code: 'ocsp_invalid_response', detail: expect.stringMatching(/nonce/) });
  });

  it('treats an HTTP error as unavailable and a non-OCSP body as invalid', async () => {
    const failing = await serve(async () => [503, Buffer.from('busy')]);
    const garbage = await serve(async () => [200, Buffer.from('<html>hello</html>')]);
    await expect(validate(good, { responderUrl: failing.url })).rejects.toMatchObject({ code: 'ocsp_unavailable' });
    await expect(validate(good, { responderUrl: garbage.url })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
    await expect(validate(good, { responderUrl: garbage.url, failOpen: true })).rejects.toMatchObject({ code: 'ocsp_invalid_response' });
  });

  it('fails closed when the responder is unreachable, and open only when asked to', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(validate(good, { responderUrl: closed })).rejects.toMatchObject({ code: 'ocsp_unavailable', status: 503 });
    await expect(validate(good, { responderUrl: closed, failOpen: true })).resolves.toMatchObject({ revocation: 'unreachable' });
  });

  it('gives up on a responder that does not answer in time', async () => {
    const silent = await serve(() => new Promise(() => {}));
    const started = Date.now();
    await expect(validate(good, { responderUrl: silent.url, timeoutMs: 300 })).rejects.toMatchObject({ code: 'ocsp_unavailable' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers from its cache: a second validation does not reach the responder', async () => {
    const card = await issueCard(pki.citizenCa, 'ec-p384');
    const shortLived = await started(startOcspResponder({ ca: pki.citizenCa, signer: pki.ocspResponder, good: [card.certificate] }));
    const cache = createOcspCache();
    await expect(validate(card, { responderUrl: shortLived.url, cache })).resolves.toMatchObject({ revocation: 'good' });
    await shortLived.stop();
    await expect(validate(card, { responderUrl: shortLived.url, cache })).resolves.toMatchObject({ revocation: 'good' });
    await expect(validate(card, { responderUrl: shortLived.url })).rejects.toMatchObject({ code: 'ocsp_unavailable' });
  });

  async function serve(answer: (body: Buffer) => Promise<[number, Buffer]>): Promise<{ url: string }> {
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', async () => {
        const [status, body] = await answer(Buffer.concat(chunks));
        response.writeHead(status, { 'content-type': 'application/ocsp-response' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    running.push({ stop: () => new Promise((resolve) => server.close(resolve).closeAllConnections()) });
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
  }
});
