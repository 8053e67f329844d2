// The Web eID authentication token (format "web-eid:1", from the Web eID browser extension or our card bridge):
// its shape, size, format version and signature algorithm, checked before anything in it is trusted.
import { EidError } from './errors.ts';

// Web eID's own bounds (AuthTokenValidatorImpl): a real token is a few kilobytes; anything bigger is refused unparsed.
const TOKEN_MIN_LENGTH = 100;
const TOKEN_MAX_LENGTH = 10_000;

// Major version 1, optional canonical minor version: the same grammar as Web eID's AuthTokenVersion, so that
// "web-eid:1.00" or "web-eid:10" cannot pass as version 1.
const FORMAT = /^web-eid:1(?:\.(?:0|[1-9]\d{0,8}))?$/;

// The JWS subset the eID cards produce (Web eID's AuthTokenSignatureValidator); never "none" or HMAC.
export const SIGNATURE_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface AuthToken {
  format: string;
  algorithm: SignatureAlgorithm;
  /** DER of the card's authentication certificate, not yet verified. */
  certificate: Buffer;
  signature: Buffer;
  appVersion: string;
}

/** Accepts the token as received: its JSON text or the parsed object. */
export function parseAuthToken(input: unknown): AuthToken {
  const text = typeof input === 'string' ? input : serialise(input);
  if (text.length < TOKEN_MIN_LENGTH) throw new EidError('token_malformed', 'token is missing or too short');
  if (text.length > TOKEN_MAX_LENGTH) throw new EidError('token_too_large', `token is ${text.length} characters`);

  const token = typeof input === 'string' ? parseJson(input) : input;
  if (!isRecord(token)) throw new EidError('token_malformed', 'token is not a JSON object');
  const format = requiredString(token, 'format');
  const algorithm = requiredString(token, 'algorithm');
  const certificate = base64Field(token, 'unverifiedCertificate');
  const signature = base64Field(token, 'signature');
  const appVersion = requiredString(token, 'appVersion');

  if (!FORMAT.test(format)) throw new EidError('unsupported_format', `format "${format.slice(0, 40)}"`);
  // Signing certificates arrived with format 1.1; a 1.0 token that carries them was tampered with.
  if (/^web-eid:1(?:\.0)?$/.test(format) && 'unverifiedSigningCertificates' in token) {
    throw new EidError('token_malformed', `unverifiedSigningCertificates is not allowed in format ${format}`);
  }
  if (!isSignatureAlgorithm(algorithm)) throw new EidError('unsupported_algorithm', `algorithm "${algorithm.slice(0, 20)}"`);
  return { format, algorithm, certificate, signature, appVersion };
}

function serialise(input: unknown): string {
  try {
    return JSON.stringify(input) ?? '';
  } catch {
    throw new EidError('token_malformed', 'token object cannot be serialised');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EidError('token_malformed', 'token is not valid JSON');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(token: Record<string, unknown>, field: string): string {
  const value = token[field];
  if (typeof value !== 'string' || value === '') throw new EidError('token_malformed', `"${field}" is missing or not a string`);
  return value;
}

function base64Field(token: Record<string, unknown>, field: string): Buffer {
  const value = requiredString(token, field);
  if (!BASE64.test(value)) throw new EidError('token_malformed', `"${field}" is not base64`);
  return Buffer.from(value, 'base64');
}

function isSignatureAlgorithm(value: string): value is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}
