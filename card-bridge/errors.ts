// Every failure the bridge reports carries a stable `code` (for the provider's page, scripts and tests) and a
// message a citizen can act on. The HTTP status only matters to the daemon; the CLI prints the message.

const STATUS = {
  config_invalid: 500,
  no_module: 503,
  no_reader: 503,
  no_card: 409,
  not_eid: 409,
  no_pinpad: 409,
  several_cards: 409,
  pin_incorrect: 401,
  pin_locked: 423,
  pin_length: 400,
  card_removed: 409,
  card_error: 502,
  cancelled: 409,
  busy: 409,
  timeout: 408,
  origin_not_allowed: 403,
  bad_host: 403,
  no_origin: 403,
  bad_request: 400,
  not_found: 404,
  national_number_invalid: 400,
  provider_error: 502,
  softhsm_error: 500,
  autostart_unsafe: 403,
  internal: 500,
} as const;

export type BridgeErrorCode = keyof typeof STATUS;

export interface BridgeErrorJson {
  error: BridgeErrorCode;
  message: string;
  triesLeft?: number;
}

export class BridgeError extends Error {
  readonly code: BridgeErrorCode;
  readonly status: number;
  /** PIN tries left, when the card tells. */
  readonly triesLeft: number | undefined;

  constructor(code: BridgeErrorCode, message: string, options?: { cause?: unknown; triesLeft?: number | undefined }) {
    super(message, options);
    this.name = 'BridgeError';
    this.code = code;
    this.status = STATUS[code];
    this.triesLeft = options?.triesLeft;
  }

  toJSON(): BridgeErrorJson {
    return { error: this.code, message: this.message, ...(this.triesLeft === undefined ? {} : { triesLeft: this.triesLeft }) };
  }
}
