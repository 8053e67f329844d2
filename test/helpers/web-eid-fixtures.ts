// The public Belgian eID test-card tokens and their test CA, committed under test/fixtures/web-eid (see its README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WEB_EID_FIXTURES = fileURLToPath(new URL('../fixtures/web-eid/', import.meta.url));

/** The CA that issues the test cards' certificates (PEM). */
export const TEST_CARD_CA_FILE = `${WEB_EID_FIXTURES}eID-TEST-EC-Citizen-CA.pem`;
export const TEST_CARD_TOKENS_FILE = `${WEB_EID_FIXTURES}belgian-test-card-tokens.json`;

export interface TestCardTokens {
  origin: string;
  validAt: string;
  holder: { nationalNumber: string; surname: string; givenNames: string };
  tokens: {
    alg: 'ES384' | 'RS256';
    nonce: string;
    token: { action: string; algorithm: string; appVersion: string; format: string; signature: string; unverifiedCertificate: string };
  }[];
}

export const testCardTokens = (): TestCardTokens => JSON.parse(readFileSync(TEST_CARD_TOKENS_FILE, 'utf8')) as TestCardTokens;
export const testCardCa = (): string => readFileSync(TEST_CARD_CA_FILE, 'utf8');
