// Web eID token validation in this process on one core, in its steady state: the card's chain, the OCSP answer from
// the cache (warmed by one real `openssl ocsp` round trip) and the token signature. Its ceiling is the raw
// verification rate of the same signature with the same key type: the one check no validation can skip.
import { createHash, verify, X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createOcspCache, validateEidAuthToken, type ValidateEidAuthTokenOptions } from '../provider/eid/index.ts';
import { createTestEidPki } from '../tools/test-cards/test-pki.ts';
import { startOcspResponder } from '../test/eid/ocsp-responder.ts';
import { freePort } from '../test/helpers/ports.ts';
import { issueCard, makeToken, NONCE, ORIGIN } from '../test/eid/helpers.ts';
import type { LoadResult } from './load.ts';

// Current Belgian cards: EC P-384 keys under an EC P-384 Citizen CA, tokens signed ES384.
const KIND = 'ec-p384';
const ALGORITHM = 'ES384';

export interface EidBench {
  algorithm: string;
  validation: LoadResult;
  verifyPerSecond: number;
}

export async function benchEidValidation({ seconds, limitSeconds }: { seconds: number; limitSeconds: number }): Promise<EidBench> {
  const pki = await createTestEidPki(KIND);
  const port = await freePort();
  const card = await issueCard(pki.citizenCa, KIND, { ocspUrl: `http://127.0.0.1:${port}` });
  const token = await makeToken(card, { algorithm: ALGORITHM });
  const options: ValidateEidAuthTokenOptions = {
    origin: ORIGIN,
    nonce: NONCE,
    // Parsed once, as the provider does with its trust-anchor folder.
    trustAnchors: [pki.root.cert, pki.citizenCa.cert].map((c) => new X509Certificate(c.toString('pem'))),
    revocation: { cache: createOcspCache() },
  };

  const responder = await startOcspResponder({ ca: pki.citizenCa, signer: pki.ocspResponder, good: [card.certificate], port });
  try {
    const first = await validateEidAuthToken(token, options);
    if (first.revocation !== 'good') throw new Error(`OCSP warm-up answered ${first.revocation}`);
  } finally {
    // Gone from here on: a validation that missed the cache would fail and count as an error.
    await responder.stop();
  }

  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    try {
      await validateEidAuthToken(token, options);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
    latenciesMs.push(performance.now() - t);
  }
  const validation: LoadResult = {
    requests: latenciesMs.length - errors,
    errors,
    seconds: (performance.now() - start) / 1000,
    latenciesMs,
    ...(firstError ? { firstError } : {}),
  };

  // The same bytes, key and encoding the validator's last step verifies.
  const hash = `sha${ALGORITHM.slice(2)}`;
  const signed = Buffer.concat([ORIGIN, NONCE].map((text) => createHash(hash).update(text, 'utf8').digest()));
  const key = { key: new X509Certificate(Buffer.from(card.certificate.rawData)).publicKey, dsaEncoding: 'ieee-p1363' as const };
  const signature = Buffer.from(token.signature as string, 'base64');
  let n = 0;
  const verifyStart = performance.now();
  const verifyEnd = verifyStart + limitSeconds * 1000;
  while (performance.now() < verifyEnd) {
    if (!verify(hash, signed, key, signature)) throw new Error('the token signature does not verify');
    n++;
  }
  return { algorithm: ALGORITHM, validation, verifyPerSecond: n / ((performance.now() - verifyStart) / 1000) };
}
