// One code per reason a Web eID login is refused, so that pages, logs and tests can tell them apart. The message is
// written for the card holder (what to do next); `detail` is for the operator's log and never shown on a page.
import { AppError } from '../platform/errors.ts';

export type EidErrorCode =
  | 'origin_invalid'
  | 'nonce_invalid'
  | 'trust_anchors_invalid'
  | 'token_malformed'
  | 'token_too_large'
  | 'unsupported_format'
  | 'unsupported_algorithm'
  | 'certificate_purpose'
  | 'certificate_policy'
  | 'certificate_not_yet_valid'
  | 'certificate_expired'
  | 'certificate_untrusted'
  | 'certificate_revoked'
  | 'certificate_status_unknown'
  | 'certificate_subject'
  | 'ocsp_unavailable'
  | 'ocsp_invalid_response'
  | 'signature_invalid';

const SITE_PROBLEM = 'eID login is not available on this site right now. Please try again later or contact our helpdesk.';
const UPDATE_SOFTWARE = 'Please try again; if it keeps failing, update the Web eID browser extension or the eID card bridge on your computer.';

const ERRORS: Record<EidErrorCode, { status: number; message: string }> = {
  origin_invalid: { status: 500, message: SITE_PROBLEM },
  nonce_invalid: { status: 400, message: 'Your eID login request has expired. Please start the login again.' },
  trust_anchors_invalid: { status: 500, message: SITE_PROBLEM },
  token_malformed: { status: 400, message: `Your browser sent an incomplete eID response. ${UPDATE_SOFTWARE}` },
  token_too_large: { status: 400, message: `Your browser sent an eID response that is too large. ${UPDATE_SOFTWARE}` },
  unsupported_format: { status: 400, message: `Your eID software uses a format this site does not support. ${UPDATE_SOFTWARE}` },
  unsupported_algorithm: {
    status: 400,
    message: `Your eID card signed with a method this site does not accept. ${UPDATE_SOFTWARE}`,
  },
  certificate_purpose: {
    status: 401,
    message:
      'The certificate sent is not the authentication certificate of your eID card. When asked, choose the "Authentication" certificate, not the "Signature" one.',
  },
  certificate_policy: {
    status: 401,
    message: 'This card cannot be used to log in here. Please use a Belgian identity card or a Belgian residence card for foreigners.',
  },
  certificate_not_yet_valid: {
    status: 401,
    message: "Your eID card's certificate is not valid yet. Check that your computer's date and time are correct, or wait until your new card is activated.",
  },
  certificate_expired: {
    status: 401,
    message: "The certificate on your eID card has expired. Please renew your card at your municipality's population office.",
  },
  certificate_untrusted: {
    status: 401,
    message: 'Your card was not issued by an authority this site trusts. Please use a Belgian eID card.',
  },
  certificate_revoked: {
    status: 401,
    message: "The certificates on your eID card have been revoked. If you did not ask for this, contact your municipality's population office.",
  },
  certificate_status_unknown: {
    status: 401,
    message:
      "The Belgian eID certificate service does not know your card. Please contact your municipality's population office to check your card's certificates.",
  },
  certificate_subject: {
    status: 401,
    message: "Your card's certificate does not name its holder. Please contact your municipality's population office.",
  },
  ocsp_unavailable: {
    status: 503,
    message: 'We could not reach the Belgian eID certificate service to check your card. Please try again in a few minutes.',
  },
  ocsp_invalid_response: {
    status: 502,
    message: 'The answer of the Belgian eID certificate service could not be verified. Please try again in a few minutes.',
  },
  signature_invalid: {
    status: 401,
    message: "Your eID card's signature does not match this login. Please start the login again from this page.",
  },
};

export class EidError extends AppError {
  declare readonly code: EidErrorCode;
  /** What went wrong, for the operator's log. */
  readonly detail: string;

  constructor(code: EidErrorCode, detail: string) {
    const { status, message } = ERRORS[code];
    super(code, message, status);
    this.name = 'EidError';
    this.detail = detail;
  }
}

export const isEidError = (e: unknown, code?: EidErrorCode): e is EidError => e instanceof EidError && (code === undefined || e.code === code);
