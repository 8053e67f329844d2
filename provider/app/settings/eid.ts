// The eID card, reactivation, flows and upstream providers.
import { z } from 'zod';
import { bool, seconds, positiveInt, url, hostList, setting } from './kinds.ts';
import { BELGIAN_CA_ISSUER_HOSTS } from '../../eid/ca-issuer-hosts.ts';

export const eidSettings = {
  nationalNumberHmacKey: setting({
    env: 'NATIONAL_NUMBER_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    secret: true,
    doc: 'key of the HMAC under which an account keeps the national number of its linked eID (the number itself is never stored), and from which the key of pairwise subs is derived; changing it unlinks every card and gives every pairwise app new subs for its people',
  }),
  eidTrustAnchors: setting({
    env: 'EID_TRUST_ANCHORS',
    schema: z.string().min(1).optional(),
    doc: 'folder of the CA certificates (.pem, .crt, .cer, .der) an eID card must chain to; absent: the Belgian roots shipped in provider/eid/trust-anchors',
  }),
  eidOcspResponderUrl: setting({
    env: 'EID_OCSP_RESPONDER_URL',
    schema: url.optional(),
    doc: "OCSP responder asked about every eID card; absent: the one named in the card's certificate",
  }),
  eidCaIssuersHosts: setting({
    env: 'EID_CA_ISSUERS_HOSTS',
    schema: hostList,
    default: BELGIAN_CA_ISSUER_HOSTS.join(','),
    doc: "hosts from which the provider may fetch the CA that issued an eID card, at the address the card's certificate names, when that CA is not in EID_TRUST_ANCHORS (it must still chain to an anchor); none: never",
  }),
  eidOcspFailOpen: setting({
    env: 'EID_OCSP_FAIL_OPEN',
    schema: bool,
    default: 'false',
    doc: 'accept an eID card when the OCSP responder cannot be reached (never when it says revoked or unknown)',
  }),
  eidBridgeUrl: setting({
    env: 'EID_BRIDGE_URL',
    schema: url,
    default: 'http://127.0.0.1:24127',
    doc: "where the eID pages look for the card bridge (`eid-bridge serve`) on the citizen's computer",
  }),
  eidBridgeDownloadUrl: setting({
    env: 'EID_BRIDGE_DOWNLOAD_URL',
    schema: url.optional(),
    doc: 'the page where you publish the card bridge (`npm run build:bridge`: the .deb and the Linux executable) for citizens to download; the eID page names the files and links it (absent: it sends Linux users to the Web eID browser extension, as on Windows and macOS)',
  }),
  eidRegistration: setting({
    env: 'EID_REGISTRATION',
    schema: bool,
    default: 'false',
    doc: 'offer registration with the eID card (name from the card, national number kept only as HMAC)',
  }),
  activationTokenTtl: setting({
    env: 'ACTIVATION_TOKEN_TTL',
    schema: seconds,
    default: '600',
    doc: 'validity of the 6-character activation code shown after an eID reactivation, seconds (single use)',
  }),
  activationTokenTries: setting({
    env: 'ACTIVATION_TOKEN_TRIES',
    schema: positiveInt,
    default: '5',
    doc: "wrong activation codes one requester (IP address, an IPv6 /64) may type for one mobile number per hour; a wrong try never voids the owner's code",
  }),
  activationTokenTriesGlobal: setting({
    env: 'ACTIVATION_TOKEN_TRIES_GLOBAL',
    schema: positiveInt,
    default: '30',
    doc: 'wrong activation codes typed for one mobile number in 15 minutes from all requesters together, against guessing from many addresses: past it each try waits (1 s, doubling up to RATE_LIMIT_MAX_DELAY) and one is checked at a time, plus one from an address that has not failed the number; never a refusal for good',
  }),
  rateLimitReactivation: setting({
    env: 'RATE_LIMIT_REACTIVATION',
    schema: positiveInt,
    default: '5',
    doc: 'activation codes one requester (IP address, an IPv6 /64) may obtain for one mobile number per hour, counted only after the card or bank proved the account; a requester may start 4 times as many reactivations per hour',
  }),
  rateLimitFlows: setting({
    env: 'RATE_LIMIT_FLOWS',
    schema: positiveInt,
    default: '120',
    doc: "self-service flows (sign-up, eID, reactivation, bank login) one client address may start per minute (a school or office behind one address shares it); each start stores a row until it expires. A login's own passkey, eID card and bank requests count per login instead, the second step's passkey per account, so that no one behind the address uses them up",
  }),
  rateLimitRegistration: setting({
    env: 'RATE_LIMIT_REGISTRATION',
    schema: positiveInt,
    default: '100',
    doc: "sign-up forms sent and activation mails asked again per IP address (an IPv6 /64) per hour; of the slips of RATE_LIMIT_INVITATION, only wrong ones count here (a class types its slips from the school's one address)",
  }),
  rateLimitRegistrationMails: setting({
    env: 'RATE_LIMIT_REGISTRATION_MAILS',
    schema: positiveInt,
    default: '5',
    doc: 'sign-up mails per address and requester (IP address or IPv6 /64) per hour, and address-change links per address and account and in all per account; further sign-ups get the same answer but no mail',
  }),
  rateLimitInvitation: setting({
    env: 'RATE_LIMIT_INVITATION',
    schema: positiveInt,
    default: '10',
    doc: "wrong tries of an invitation's username and initial password per username per 15 minutes before each further try waits (1 s, doubling up to RATE_LIMIT_MAX_DELAY; never a lockout), and sign-ups sent with it per username per 15 minutes",
  }),
  rateLimitCustomer: setting({
    env: 'RATE_LIMIT_CUSTOMER',
    schema: positiveInt,
    default: '20',
    doc: 'customer numbers and names that match no record, per IP address (an IPv6 /64) per hour; past it no number is looked up, a right one included',
  }),
  upstreamSecretKey: setting({
    env: 'UPSTREAM_SECRET_KEY',
    sensitive: true,
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'key encrypting the client secrets of upstream identity providers (`idp upstreams add`); generated and kept in the database in development, required in production before an upstream is added (secret)',
  }),
  rateLimitLogin: setting({
    env: 'RATE_LIMIT_LOGIN',
    schema: positiveInt,
    default: '10',
    doc: 'failed logins per identifier as typed (or per browser that has logged in to the account) per 15 minutes before delays grow; at this count the account holder is told by mail',
  }),
} as const;
