// Tokens that the Web eID app made with real Belgian eID test cards (EC P-384 and RSA-2048), from
// test/fixtures/web-eid. Their OCSP responder is not reachable from here, so revocation is off.
import { describe, expect, it } from 'vitest';
import { type EidErrorCode, validateEidAuthToken } from '../../provider/eid/index.ts';
import { testCardCa, testCardTokens } from '../helpers/web-eid-fixtures.ts';
import { flipSignatureBit, withField } from './helpers.ts';

const data = testCardTokens();
const testCa = testCardCa();

const validate = (token: unknown, nonce: string, origin = data.origin) =>
  validateEidAuthToken(token, { origin, nonce, trustAnchors: testCa, now: new Date(data.validAt), revocation: false });

const refused = (promise: Promise<unknown>, code: EidErrorCode) => expect(promise).rejects.toMatchObject({ code });

describe.each(data.tokens)('the Belgian test card token signed with $alg', ({ alg, nonce, token }) => {
  it('is accepted and names Nora Specimen', async () => {
    const identity = await validate(token, nonce);
    expect(identity).toMatchObject({ ...data.holder, revocation: 'not_checked' });
    expect(identity.certificate.subject).toContain('CN=Nora Specimen (Authentication)');
  });

  it('is refused for another origin', async () => {
    await refused(validate(token, nonce, 'https://47f0-46-131-86-189.ngrok-free.dev'), 'signature_invalid');
    await refused(validate(token, nonce, `${data.origin}/`), 'origin_invalid');
  });

  it('is refused for another nonce', async () => {
    await refused(validate(token, `${nonce.slice(1)}A`), 'signature_invalid');
    await refused(validate(token, Buffer.from(nonce, 'base64').toString('hex')), 'signature_invalid');
  });

  it('is refused with a changed signature', async () => {
    await refused(validate(flipSignatureBit(token), nonce), 'signature_invalid');
  });

  it('is refused with a changed algorithm', async () => {
    const others = alg === 'ES384' ? ['ES256', 'ES512', 'RS384', 'PS384'] : ['RS384', 'RS512', 'PS256', 'ES256'];
    for (const other of others) await refused(validate(withField(token, 'algorithm', other), nonce), 'signature_invalid');
    await refused(validate(withField(token, 'algorithm', 'HS256'), nonce), 'unsupported_algorithm');
  });

  it('is refused with a changed format', async () => {
    for (const format of ['web-eid:2', 'web-eid:0.1', 'web-eid:1.0.1', 'web-eid']) {
      await refused(validate(withField(token, 'format', format), nonce), 'unsupported_format');
    }
  });

  it('is refused once its certificate has expired', async () => {
    await expect(
      validateEidAuthToken(token, { origin: data.origin, nonce, trustAnchors: testCa, now: new Date('2034-01-01'), revocation: false }),
    ).rejects.toMatchObject({ code: 'certificate_expired' });
  });
});

it('the two test cards cannot swap certificates', async () => {
  const [ec, rsa] = data.tokens;
  await refused(validate(withField(ec!.token, 'unverifiedCertificate', rsa!.token.unverifiedCertificate), ec!.nonce), 'signature_invalid');
});
