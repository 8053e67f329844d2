// Trust anchors for the card certificates: PEM text (one or more certificates), DER bytes, or a folder of such files.
// Production ships the Belgian roots and intermediates in ./trust-anchors/; development and tests configure the
// test PKI written by `npm run test-cards` instead.
import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EidError } from './errors.ts';

export type CertificateInput = string | Uint8Array | X509Certificate;

export const PRODUCTION_TRUST_ANCHOR_FOLDER = fileURLToPath(new URL('./trust-anchors/', import.meta.url));

const CERTIFICATE_FILES = new Set(['.pem', '.crt', '.cer', '.der']);
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

export function parseCertificates(input: CertificateInput | readonly CertificateInput[]): X509Certificate[] {
  const inputs = Array.isArray(input) ? (input as readonly CertificateInput[]) : [input as CertificateInput];
  return inputs.flatMap(parseOne);
}

/**
 * Every certificate file in the folder (.pem, .crt, .cer, .der); other files, such as a README, are ignored. A
 * certificate that is not a CA is refused: a card certificate put there by mistake would otherwise be trusted.
 */
export async function loadTrustAnchorFolder(folder: string): Promise<X509Certificate[]> {
  const names = (await readdir(folder)).filter((name) => CERTIFICATE_FILES.has(extname(name).toLowerCase())).sort();
  const files = await Promise.all(names.map((name) => readFile(join(folder, name))));
  return files.flatMap((bytes, i) => {
    let certs: X509Certificate[];
    try {
      certs = parseOne(bytes);
    } catch (e) {
      throw new EidError('trust_anchors_invalid', `${names[i]}: ${(e as EidError).detail}`);
    }
    const leaf = certs.find((c) => !c.ca);
    if (leaf) throw new EidError('trust_anchors_invalid', `${names[i]}: ${leaf.subject.replace(/\n/g, ', ')} is not a CA certificate`);
    return certs;
  });
}

function parseOne(input: CertificateInput): X509Certificate[] {
  if (input instanceof X509Certificate) return [input];
  const bytes = typeof input === 'string' ? undefined : Buffer.from(input);
  if (bytes && !bytes.includes('-----BEGIN CERTIFICATE-----')) return [certificate(bytes)];
  const text = bytes ? bytes.toString('latin1') : (input as string);
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0) throw new EidError('trust_anchors_invalid', 'no PEM certificate found');
  return blocks.map(certificate);
}

function certificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new EidError('trust_anchors_invalid', 'not an X.509 certificate');
  }
}
