// PKCS#11 templates for the objects of a virtual Belgian eID, shaped like those the beid module exposes:
// key pairs and certificates labelled "Authentication" / "Signature", the "CA" and "Root" certificates, and
// CKO_DATA objects whose CKA_OBJECT_ID is the string "id" or "address" (beid's convention, not a DER OID).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';

// DER OIDs of the named curves (CKA_EC_PARAMS).
const EC_PARAMS: Record<string, string> = { 'P-256': '06082a8648ce3d030107', 'P-384': '06052b81040022' };

const b64url = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');

function derOctetString(content: Buffer): Buffer {
  const length = content.length < 0x80 ? Buffer.from([content.length]) : Buffer.from([0x81, content.length]);
  return Buffer.concat([Buffer.from([0x04]), length, content]);
}

/** Private and public key templates with the key material of an extractable WebCrypto pair. */
export async function keyPairTemplates(keys: CryptoKeyPair, label: string, id: number): Promise<{ privateKey: Template; publicKey: Template }> {
  const jwk = await webcrypto.subtle.exportKey('jwk', keys.privateKey);
  const common: Template = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: Buffer.from([id]) },
  ];
  const privateCommon: Template = [
    ...common,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
  const publicCommon: Template = [
    ...common,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_VERIFY, value: true },
  ];
  if (jwk.kty === 'EC') {
    const params = EC_PARAMS[jwk.crv ?? ''];
    if (!params) throw new Error(`unsupported curve ${jwk.crv}`);
    const ecParams = { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(params, 'hex') };
    const keyType = { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC };
    const point = Buffer.concat([Buffer.from([0x04]), b64url(jwk.x), b64url(jwk.y)]);
    return {
      privateKey: [...privateCommon, keyType, ecParams, { type: pkcs11js.CKA_VALUE, value: b64url(jwk.d) }],
      publicKey: [...publicCommon, keyType, ecParams, { type: pkcs11js.CKA_EC_POINT, value: derOctetString(point) }],
    };
  }
  const keyType = { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA };
  const modulus = { type: pkcs11js.CKA_MODULUS, value: b64url(jwk.n) };
  const exponent = { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: b64url(jwk.e) };
  return {
    privateKey: [
      ...privateCommon,
      keyType,
      modulus,
      exponent,
      { type: pkcs11js.CKA_PRIVATE_EXPONENT, value: b64url(jwk.d) },
      { type: pkcs11js.CKA_PRIME_1, value: b64url(jwk.p) },
      { type: pkcs11js.CKA_PRIME_2, value: b64url(jwk.q) },
      { type: pkcs11js.CKA_EXPONENT_1, value: b64url(jwk.dp) },
      { type: pkcs11js.CKA_EXPONENT_2, value: b64url(jwk.dq) },
      { type: pkcs11js.CKA_COEFFICIENT, value: b64url(jwk.qi) },
    ],
    publicKey: [...publicCommon, keyType, modulus, exponent],
  };
}

export function certificateTemplate(cert: x509.X509Certificate, label: string, id: number): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: Buffer.from([id]) },
    { type: pkcs11js.CKA_SUBJECT, value: Buffer.from(cert.subjectName.toArrayBuffer()) },
    { type: pkcs11js.CKA_ISSUER, value: Buffer.from(cert.issuerName.toArrayBuffer()) },
    { type: pkcs11js.CKA_VALUE, value: Buffer.from(cert.rawData) },
  ];
}

/** `value` as the card stores it: text for most fields, bytes for the chip number and the photo's hash. */
export function dataObjectTemplate(label: string, value: string | Buffer): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_MODIFIABLE, value: false },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_OBJECT_ID, value: Buffer.from(label.startsWith('address_') ? 'address' : 'id') },
    { type: pkcs11js.CKA_VALUE, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value },
  ];
}
