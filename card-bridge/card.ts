// The Belgian eID on a PKCS#11 token: the holder's data, and the Authentication key signing a Web eID token.
// Objects are found by class and label, the way the official beid module names them.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import pkcs11js from 'pkcs11js';
import { z } from 'zod';
import { BridgeError } from './errors.ts';
import { pinLengthError } from './pkcs11/errors.ts';
import type { Pkcs11Api } from './pkcs11/module.ts';
import { findByLabel, login, logout, readAttribute, withSession, type Session } from './pkcs11/session.ts';
import { findEids, listSlots } from './pkcs11/slots.ts';
import { algorithmFor, authToken, digest, signedFields, type WebEidAlgorithm, type WebEidAuthToken } from './web-eid.ts';

/** Labels of the CKO_DATA objects of beid (eid-mw), by the camelCase name the bridge reports them under. */
export const CARD_DATA_LABELS = {
  cardNumber: 'card_number',
  chipNumber: 'chip_number',
  validityBeginDate: 'validity_begin_date',
  validityEndDate: 'validity_end_date',
  issuingMunicipality: 'issuing_municipality',
  nationalNumber: 'national_number',
  surname: 'surname',
  firstnames: 'firstnames',
  firstLetterOfThirdGivenName: 'first_letter_of_third_given_name',
  nationality: 'nationality',
  locationOfBirth: 'location_of_birth',
  dateOfBirth: 'date_of_birth',
  gender: 'gender',
  addressStreetAndNumber: 'address_street_and_number',
  addressZip: 'address_zip',
  addressMunicipality: 'address_municipality',
  photoHash: 'photo_hash',
} as const;

/** Objects the card holds as raw bytes, not text: reported as upper-case hex. Dates stay as printed on the card. */
export const BINARY_DATA: ReadonlySet<keyof typeof CARD_DATA_LABELS> = new Set(['chipNumber', 'photoHash']);

export type CardData = Partial<Record<keyof typeof CARD_DATA_LABELS, string>>;

export const KEY_LABELS = { authentication: 'Authentication', signature: 'Signature' } as const;

export interface Identity {
  /** From the Authentication certificate, which the provider verifies. */
  nationalNumber: string;
  surname: string;
  givenNames: string;
  /**
   * The card's data objects: not signed by anything here, so for display and comparison only. Empty with OpenSC,
   * which shows no identity objects: the holder then comes from the certificate alone.
   */
  card: CardData;
}

export const pinSchema = z.string().regex(/^\d{4,12}$/, 'the PIN of a Belgian eID has 4 to 12 digits');

export interface SignatureRequest {
  origin: string;
  nonce: string;
  algorithm?: WebEidAlgorithm | undefined;
  /** Aborted when the operation ended (cancelled, timed out) while the login was waited for. */
  signal?: AbortSignal | undefined;
}

/** `pin` null: typed on the reader's PIN pad. */
export interface AuthenticateRequest extends SignatureRequest {
  pin: string | null;
}

export interface Authentication {
  authToken: WebEidAuthToken;
  identity: Identity;
  /**
   * Base64 DER of the card's copy of its issuing CA's certificate ("CA"), when the card has one. A Web eID token
   * carries only the card's certificate; with this the provider can link a card to its configured root even when
   * the issuing CA (Belgium issues a new one every few months) is not configured. Unverified: the provider trusts
   * it only if a configured anchor signed it.
   */
  caCertificates: string[];
}

const SUBJECT = { surname: '2.5.4.4', givenName: '2.5.4.42', serialNumber: '2.5.4.5' } as const;

function certificateHolder(certificate: x509.X509Certificate): Omit<Identity, 'card'> {
  const field = (oid: string) => certificate.subjectName.getField(oid)[0] ?? '';
  return { nationalNumber: field(SUBJECT.serialNumber), surname: field(SUBJECT.surname), givenNames: field(SUBJECT.givenName) };
}

function authenticationCertificate(session: Session): Buffer {
  const object = findByLabel(session, pkcs11js.CKO_CERTIFICATE, KEY_LABELS.authentication);
  if (!object) throw new BridgeError('not_eid', 'The card has no Authentication certificate: it is not a Belgian eID, or an expired or foreign one');
  return readAttribute(session, object, pkcs11js.CKA_VALUE);
}

function caCertificates(session: Session): string[] {
  const object = findByLabel(session, pkcs11js.CKO_CERTIFICATE, 'CA');
  return object ? [readAttribute(session, object, pkcs11js.CKA_VALUE).toString('base64')] : [];
}

function cardData(session: Session): CardData {
  const data: CardData = {};
  for (const [name, label] of Object.entries(CARD_DATA_LABELS) as [keyof CardData, string][]) {
    const object = findByLabel(session, pkcs11js.CKO_DATA, label);
    if (!object) continue;
    const value = readAttribute(session, object, pkcs11js.CKA_VALUE);
    data[name] = BINARY_DATA.has(name) ? value.toString('hex').toUpperCase() : value.toString('utf8');
  }
  return data;
}

function identityOf(session: Session, certificate: x509.X509Certificate): Identity {
  return { ...certificateHolder(certificate), card: cardData(session) };
}

/** The holder's data; no PIN needed, as on a real card. */
export function readCard(api: Pkcs11Api, slot: Buffer): Identity {
  return withSession(api, slot, (session) => identityOf(session, new x509.X509Certificate(new Uint8Array(authenticationCertificate(session)))));
}

/** A Belgian eID in a reader, named so that a person with several cards at hand can tell which is which. */
export interface InsertedCard {
  slot: string;
  reader: string;
  pinPad: boolean;
  holder: string;
  cardNumber?: string | undefined;
}

export function insertedCards(api: Pkcs11Api): InsertedCard[] {
  return findEids(api).map((s) => {
    const identity = readCard(api, s.handle);
    return { slot: s.id, reader: s.reader, pinPad: s.pinPad, holder: `${identity.givenNames} ${identity.surname}`, cardNumber: identity.card.cardNumber };
  });
}

/** The handle of the chosen card's slot; `card_removed` when it left its reader meanwhile. */
export function slotOf(api: Pkcs11Api, card: InsertedCard): Buffer {
  const slot = listSlots(api).find((s) => s.id === card.slot && s.eid);
  if (!slot) throw new BridgeError('card_removed', `The card of ${card.holder} was removed: insert it again and retry`);
  return slot.handle;
}

// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256: the card pads, the caller names the hash.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

// beid offers PSS only with the hash done on the card's side (CKM_SHA256_RSA_PKCS_PSS, never CKM_RSA_PKCS_PSS
// over a digest), so PS256 hands the module the signed fields themselves.
const PSS_PARAMS: pkcs11js.RsaPSS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 };
const PS256_MECHANISM: pkcs11js.Mechanism = { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS_PSS, parameter: PSS_PARAMS };

/** PS256 only where the module offers its mechanism; asking for it elsewhere is refused before the PIN. */
function checkMechanism(session: Session, algorithm: WebEidAlgorithm): void {
  if (algorithm === 'PS256' && !session.api.C_GetMechanismList(session.slot).includes(pkcs11js.CKM_SHA256_RSA_PKCS_PSS)) {
    throw new BridgeError('bad_request', 'This card or its eID software cannot sign with PS256 (no CKM_SHA256_RSA_PKCS_PSS); ask for RS256');
  }
}

function sign(session: Session, key: Buffer, algorithm: WebEidAlgorithm, data: Buffer): Buffer {
  const [mechanism, input]: [pkcs11js.Mechanism, Buffer] =
    algorithm === 'RS256'
      ? [{ mechanism: pkcs11js.CKM_RSA_PKCS }, Buffer.concat([SHA256_DIGEST_INFO, digest(algorithm, data)])]
      : algorithm === 'PS256'
        ? [PS256_MECHANISM, data]
        : [{ mechanism: pkcs11js.CKM_ECDSA }, digest(algorithm, data)]; // PKCS#11 returns ECDSA as raw r‖s, which is what Web eID wants.
  session.api.C_SignInit(session.handle, mechanism, key);
  return session.api.C_Sign(session.handle, input, Buffer.alloc(1024));
}

interface Prepared {
  der: Buffer;
  algorithm: WebEidAlgorithm;
  identity: Identity;
}

/** What is read and checked before the login, so that a card that cannot sign never asks for the PIN. */
function prepare(session: Session, request: SignatureRequest): Prepared {
  const der = authenticationCertificate(session);
  const certificate = new x509.X509Certificate(new Uint8Array(der));
  const algorithm = algorithmFor(certificate.publicKey.algorithm, request.algorithm);
  checkMechanism(session, algorithm);
  return { der, algorithm, identity: identityOf(session, certificate) };
}

/** Once logged in: signs the Web eID fields with the Authentication key, then logs out whatever happens. */
function signLoggedIn(session: Session, prepared: Prepared, request: SignatureRequest): Authentication {
  try {
    request.signal?.throwIfAborted();
    const key = findByLabel(session, pkcs11js.CKO_PRIVATE_KEY, KEY_LABELS.authentication);
    if (!key) throw new BridgeError('not_eid', 'The card has no Authentication key');
    const signature = sign(session, key, prepared.algorithm, signedFields(prepared.algorithm, request.origin, request.nonce));
    return { authToken: authToken(prepared.der, prepared.algorithm, signature), identity: prepared.identity, caCertificates: caCertificates(session) };
  } finally {
    logout(session);
  }
}

/** Logs in with the PIN (or the PIN pad, blocking this thread), signs the Web eID fields, logs out. */
export function authenticate(api: Pkcs11Api, slot: Buffer, request: AuthenticateRequest): Authentication {
  if (request.pin !== null && !pinSchema.safeParse(request.pin).success) throw pinLengthError();
  return withSession(api, slot, (session) => {
    const prepared = prepare(session, request);
    login(session, request.pin);
    return signLoggedIn(session, prepared, request);
  });
}

/**
 * The same with a login made elsewhere (a worker thread waiting for the reader's PIN pad). When `signal` aborts
 * meanwhile (cancelled, timed out), nothing is signed: the card is logged out and the session closed.
 */
export function authenticateWith(
  api: Pkcs11Api,
  slot: Buffer,
  request: SignatureRequest,
  loginElsewhere: (session: Session) => Promise<void>,
): Promise<Authentication> {
  return withSession(api, slot, async (session) => {
    const prepared = prepare(session, request);
    await loginElsewhere(session);
    return signLoggedIn(session, prepared, request);
  });
}
