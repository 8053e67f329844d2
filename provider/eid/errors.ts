// One code per reason a Web eID login is refused, so that pages, logs and tests can tell them apart. The message
// (eid.refused.<code>) is written for the card holder: what to do next; `detail` is for the operator's log and never
// shown on a page.
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

const STATUS: Record<EidErrorCode, number> = {
  origin_invalid: 500,
  nonce_invalid: 400,
  trust_anchors_invalid: 500,
  token_malformed: 400,
  token_too_large: 400,
  unsupported_format: 400,
  unsupported_algorithm: 400,
  certificate_purpose: 401,
  certificate_policy: 401,
  certificate_not_yet_valid: 401,
  certificate_expired: 401,
  certificate_untrusted: 401,
  certificate_revoked: 401,
  certificate_status_unknown: 401,
  certificate_subject: 401,
  ocsp_unavailable: 503,
  ocsp_invalid_response: 502,
  signature_invalid: 401,
};

export class EidError extends AppError {
  declare readonly code: EidErrorCode;
  /** What went wrong, for the operator's log. */
  readonly detail: string;

  constructor(code: EidErrorCode, detail: string) {
    super(code, `eid.refused.${code}`, STATUS[code]);
    this.name = 'EidError';
    this.detail = detail;
  }
}

export const isEidError = (e: unknown, code?: EidErrorCode): e is EidError => e instanceof EidError && (code === undefined || e.code === code);
