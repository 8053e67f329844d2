// Asks an OCSP responder (RFC 6960) whether the card's certificate is revoked, and believes the answer only when it
// is signed by the card's issuing CA or by a responder certificate that CA issued for OCSP signing, echoes our
// nonce, names our certificate and is fresh.
import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Extension } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  type SingleResponse,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { issued, validAt } from './certificate-path.ts';
import { EidError } from './errors.ts';

export type CertificateStatus = 'good' | 'revoked' | 'unknown';

export interface OcspQuery {
  url: string;
  timeoutMs: number;
  now: Date;
  /** How far the responder's clock may be ahead of or behind ours. */
  allowedClockSkewMs: number;
  /** How old thisUpdate and producedAt may be. */
  maxResponseAgeMs: number;
}

const SHA1 = '1.3.14.3.2.26';
// A Belgian responder's answer with its certificate is about 2 KB.
const MAX_RESPONSE_BYTES = 64 * 1024;
const NONCE_BYTES = 32;

const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export async function queryOcsp(leaf: X509Certificate, issuer: X509Certificate, query: OcspQuery): Promise<CertificateStatus> {
  const certId = certificateId(leaf, issuer);
  // The nonce extension's value is itself a DER OCTET STRING (RFC 8954); responders echo the extension verbatim.
  const nonce = new Uint8Array(AsnConvert.serialize(new OctetString(randomBytes(NONCE_BYTES))));
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({ reqCert: certId })],
      requestExtensions: [new Extension({ extnID: id_pkix_ocsp_nonce, extnValue: new OctetString(nonce) })],
    }),
  });
  const basic = basicResponse(await post(query.url, AsnConvert.serialize(request), query.timeoutMs));
  checkSigner(basic, issuer, query.now);
  const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (!echoed || !same(echoed.extnValue.buffer, nonce)) throw invalid('the nonce is missing or different');
  const single = basic.tbsResponseData.responses.find((r) => sameCertId(r.certID, certId));
  if (!single) throw invalid('no answer about the certificate asked for');
  checkFreshness(basic.tbsResponseData.producedAt, single, query);
  if (single.certStatus.revoked) return 'revoked';
  if (single.certStatus.unknown !== undefined) return 'unknown';
  if (single.certStatus.good !== undefined) return 'good';
  throw invalid('certStatus is none of good, revoked, unknown');
}

/** SHA-1 CertID, as every responder supports: hashes of the issuer's name and key, and the serial number. */
function certificateId(leaf: X509Certificate, issuer: X509Certificate): CertID {
  const issuerTbs = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate;
  const sha1 = (data: ArrayBuffer) => new OctetString(createHash('sha1').update(new Uint8Array(data)).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: sha1(AsnConvert.serialize(issuerTbs.subject)),
    issuerKeyHash: sha1(issuerTbs.subjectPublicKeyInfo.subjectPublicKey),
    serialNumber: AsnConvert.parse(leaf.raw, Certificate).tbsCertificate.serialNumber,
  });
}

async function post(url: string, body: ArrayBuffer, timeoutMs: number): Promise<Uint8Array> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: new Uint8Array(body),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new EidError('ocsp_unavailable', `${url} answered HTTP ${response.status}`);
    if (Number(response.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) throw invalid('the response is too large');
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_RESPONSE_BYTES) throw invalid('the response is too large');
    return bytes;
  } catch (e) {
    if (e instanceof EidError) throw e;
    throw new EidError('ocsp_unavailable', `${url}: ${(e as Error).message}`);
  }
}

function basicResponse(der: Uint8Array): BasicOCSPResponse {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
  } catch {
    throw invalid('the response is not an OCSPResponse');
  }
  const status = response.responseStatus;
  if (status === OCSPResponseStatus.tryLater || status === OCSPResponseStatus.internalError) {
    throw new EidError('ocsp_unavailable', `the responder answered ${OCSPResponseStatus[status]}`);
  }
  if (status !== OCSPResponseStatus.successful) throw invalid(`the responder answered ${OCSPResponseStatus[status] ?? status}`);
  if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) throw invalid('the response is not a basic OCSP response');
  try {
    return AsnConvert.parse(response.responseBytes.response, BasicOCSPResponse);
  } catch {
    throw invalid('the basic OCSP response cannot be parsed');
  }
}

function checkSigner(basic: BasicOCSPResponse, issuer: X509Certificate, now: Date): void {
  const hash = SIGNATURE_HASHES[basic.signatureAlgorithm.algorithm];
  if (!hash || !basic.tbsResponseDataRaw) throw invalid(`unsupported signature algorithm ${basic.signatureAlgorithm.algorithm}`);
  const delegated = (basic.certs ?? [])
    .map((c) => new X509Certificate(new Uint8Array(AsnConvert.serialize(c))))
    .filter((c) => issued(issuer, c, now) && validAt(c, now) && (c.keyUsage ?? []).includes(id_kp_OCSPSigning));
  const signed = new Uint8Array(basic.tbsResponseDataRaw);
  const signature = new Uint8Array(basic.signature);
  if (![issuer, ...delegated].some((signer) => verify(hash, signed, signer.publicKey, signature))) {
    throw invalid('not signed by the issuing CA or a responder it authorised');
  }
}

function checkFreshness(producedAt: Date, single: SingleResponse, query: OcspQuery): void {
  const now = query.now.getTime();
  const latest = now + query.allowedClockSkewMs;
  const oldest = now - query.maxResponseAgeMs;
  for (const [name, time] of [
    ['producedAt', producedAt],
    ['thisUpdate', single.thisUpdate],
  ] as const) {
    if (time.getTime() > latest) throw invalid(`${name} ${time.toISOString()} is in the future`);
    if (time.getTime() < oldest) throw invalid(`${name} ${time.toISOString()} is too old`);
  }
  const next = single.nextUpdate?.getTime();
  if (next !== undefined && (next < now - query.allowedClockSkewMs || next < single.thisUpdate.getTime())) {
    throw invalid(`nextUpdate ${single.nextUpdate!.toISOString()} has passed`);
  }
}

function sameCertId(a: CertID, b: CertID): boolean {
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    same(a.issuerNameHash.buffer, b.issuerNameHash.buffer) &&
    same(a.issuerKeyHash.buffer, b.issuerKeyHash.buffer) &&
    same(a.serialNumber, b.serialNumber)
  );
}

function same(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(new Uint8Array(a)).equals(new Uint8Array(b));
}

function invalid(detail: string): EidError {
  return new EidError('ocsp_invalid_response', detail);
}
