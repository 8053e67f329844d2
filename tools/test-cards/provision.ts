// A virtual Belgian eID in SoftHSM2, for development and tests: a token labelled BELPIC with the holder's
// key pairs, certificates from the test PKI and the identity data objects, as the beid module shows a card.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import type { Template } from 'pkcs11js';
import { BINARY_DATA, CARD_DATA_LABELS, KEY_LABELS, type CardData } from '../../card-bridge/card.ts';
import { BridgeError } from '../../card-bridge/errors.ts';
import { birthDateOf, genderOf } from '../../card-bridge/national-number.ts';
import { closeModule, loadModule } from '../../card-bridge/pkcs11/module.ts';
import { login, logout, withSession } from '../../card-bridge/pkcs11/session.ts';
import { listSlots } from '../../card-bridge/pkcs11/slots.ts';
import { ensureSoftHsmConf } from './conf.ts';
import { loadOrCreatePki, writePkiFiles } from './pki-files.ts';
import { certificateTemplate, dataObjectTemplate, keyPairTemplates } from './token-objects.ts';
import { generateKeyPair, issueAuthenticationCertificate, issueSignatureCertificate, type KeyKind } from './test-pki.ts';

/**
 * How the virtual card shows itself: as the official beid module does (identity data objects, token "BELPIC"), or
 * as OpenSC does, which reads the card's PKCS#15 structure only: certificates and keys, no identity objects, and the
 * PIN's name after the token label.
 */
export const CARD_STYLES = { beid: 'BELPIC', opensc: 'BELPIC (Basic PIN)' } as const;
export type CardStyle = keyof typeof CARD_STYLES;
// The security officer PIN plays the PUK's part; nothing in the bridge uses it.
const SO_PIN = '12345678';

export interface CardHolder {
  nationalNumber: string;
  surname: string;
  givenNames: string;
  cardNumber: string;
}

export interface ProvisionOptions {
  holder: CardHolder;
  pin: string;
  key: Extract<KeyKind, 'ec-p384' | 'rsa-2048'>;
  ocspUrl: string;
  caIssuersUrl?: string | undefined;
  outDir: string;
  confPath: string;
  modulePath: string;
  style?: CardStyle | undefined;
  /** Keep the cards already in this configuration: a second card, as in a second reader. */
  add?: boolean | undefined;
}

export interface Provisioned {
  authentication: x509.X509Certificate;
  signature: x509.X509Certificate;
  cardData: CardData;
}

function softhsmUtil(confPath: string, args: string[]): string {
  return execFileSync('softhsm2-util', args, { env: { ...process.env, SOFTHSM2_CONF: confPath }, stdio: 'pipe' }).toString();
}

function deleteCards(confPath: string): void {
  for (const label of Object.values(CARD_STYLES)) {
    for (let i = 0; i < 16; i++) {
      try {
        softhsmUtil(confPath, ['--delete-token', '--token', label]);
      } catch {
        break; // none left
      }
    }
  }
}

/** Initialises a free slot as a new card; returns its slot id, as softhsm2-util reports it. */
function newToken(confPath: string, label: string, pin: string): string {
  try {
    const output = softhsmUtil(confPath, ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', pin]);
    const slot = /reassigned to slot (\d+)/.exec(output)?.[1];
    if (!slot) throw new Error(`unexpected output: ${output.trim()}`);
    return slot;
  } catch (e) {
    const detail = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new BridgeError('softhsm_error', `softhsm2-util could not create the ${label} token (${detail}); is softhsm2 installed?`, { cause: e });
  }
}

const DUTCH_MONTHS = ['JAN', 'FEB', 'MAAR', 'APR', 'MEI', 'JUN', 'JUL', 'AUG', 'SEP', 'OKT', 'NOV', 'DEC'];
const cardDate = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;

/** The identity file's fields as a Dutch-language card spells them (birth date "31 JUL 1985", gender M/V). */
function cardDataFor(holder: CardHolder, now: Date): CardData {
  const names = holder.givenNames.split(/\s+/);
  const birth = birthDateOf(holder.nationalNumber);
  const validUntil = new Date(now);
  validUntil.setUTCFullYear(now.getUTCFullYear() + 10);
  return {
    cardNumber: holder.cardNumber,
    chipNumber: randomBytes(16).toString('hex').toUpperCase(),
    photoHash: randomBytes(32).toString('hex').toUpperCase(),
    validityBeginDate: cardDate(now),
    validityEndDate: cardDate(validUntil),
    issuingMunicipality: 'Brussel',
    nationalNumber: holder.nationalNumber,
    surname: holder.surname,
    firstnames: names.slice(0, 2).join(' '),
    firstLetterOfThirdGivenName: names[2]?.[0] ?? '',
    nationality: 'Belg',
    locationOfBirth: 'Brussel',
    ...(birth ? { dateOfBirth: `${birth.slice(8, 10)} ${DUTCH_MONTHS[Number(birth.slice(5, 7)) - 1]} ${birth.slice(0, 4)}` } : {}),
    gender: genderOf(holder.nationalNumber) === 'M' ? 'M' : 'V',
    addressStreetAndNumber: 'Wetstraat 16',
    addressZip: '1000',
    addressMunicipality: 'Brussel',
  };
}

function writeObjects(modulePath: string, confPath: string, slotId: string, pin: string, objects: Template[]): void {
  // SoftHSM reads SOFTHSM2_CONF when the module is initialised, in this process.
  process.env.SOFTHSM2_CONF = confPath;
  const module = loadModule(modulePath);
  try {
    const slot = listSlots(module.api).find((s) => s.id === slotId);
    if (!slot) throw new BridgeError('softhsm_error', `SoftHSM2 shows no slot ${slotId} after creating it`);
    withSession(
      module.api,
      slot.handle,
      (session) => {
        login(session, pin);
        try {
          for (const template of objects) module.api.C_CreateObject(session.handle, template);
        } finally {
          logout(session);
        }
      },
      { readWrite: true },
    );
  } finally {
    closeModule(module);
  }
}

export async function provisionSoftHsm(o: ProvisionOptions): Promise<Provisioned> {
  ensureSoftHsmConf(o.confPath);
  const style = o.style ?? 'beid';
  if (!o.add) deleteCards(o.confPath);
  const slotId = newToken(o.confPath, CARD_STYLES[style], o.pin);
  const pki = await loadOrCreatePki(o.outDir, o.key);
  const [authKeys, signKeys] = await Promise.all([generateKeyPair(o.key), generateKeyPair(o.key)]);
  const published = { ocspUrl: o.ocspUrl, caIssuersUrl: o.caIssuersUrl };
  const authentication = await issueAuthenticationCertificate(pki.citizenCa, o.holder, { publicKey: authKeys.publicKey, ...published });
  const signature = await issueSignatureCertificate(pki.citizenCa, o.holder, { publicKey: signKeys.publicKey, ...published });
  const authTemplates = await keyPairTemplates(authKeys, KEY_LABELS.authentication, 2);
  const signTemplates = await keyPairTemplates(signKeys, KEY_LABELS.signature, 3);
  const cardData = style === 'beid' ? cardDataFor(o.holder, new Date()) : {};
  writeObjects(o.modulePath, o.confPath, slotId, o.pin, [
    authTemplates.privateKey,
    authTemplates.publicKey,
    signTemplates.privateKey,
    signTemplates.publicKey,
    certificateTemplate(authentication, KEY_LABELS.authentication, 2),
    certificateTemplate(signature, KEY_LABELS.signature, 3),
    certificateTemplate(pki.citizenCa.cert, 'CA', 4),
    certificateTemplate(pki.root.cert, 'Root', 6),
    ...Object.entries(cardData).map(([name, value]) => {
      const key = name as keyof CardData;
      return dataObjectTemplate(CARD_DATA_LABELS[key], BINARY_DATA.has(key) ? Buffer.from(value, 'hex') : value);
    }),
  ]);
  await writePkiFiles(o.outDir, pki, { authentication, signature }, o.add);
  return { authentication, signature, cardData };
}
