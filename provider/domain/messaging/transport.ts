// What a transport is, apart from the transports themselves and the choice among them (transports.ts), so that
// each transport depends on this contract and not on the module that picks it.
import type { log } from '../../platform/log.ts';
import type { Channel, OutboxMessage } from './outbox.ts';

export type Logger = Pick<typeof log, 'info' | 'warn' | 'error'>;

export interface Transport {
  /** Stored with the sent message: 'smtp', 'sms-gateway', 'log'. */
  readonly name: string;
  /** Resolves once the server accepted the message; throws (preferably a DeliveryError) otherwise. */
  send(message: OutboxMessage): Promise<void>;
  /** Told each attempt's recorded outcome: 'failed' is the last (permanent, or out of attempts). */
  settled?(message: OutboxMessage, outcome: DeliveryOutcome, error?: string): Promise<void>;
  close?(): void;
}

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';

/** Mail and SMS, which every process configures from its settings. */
export type Transports = Record<'email' | 'sms', Transport>;

/** What a worker delivers: it claims the messages of these channels only, and leaves the others to a worker that has them. */
export type ChannelTransports = Partial<Record<Channel, Transport>>;

/** A failed delivery. `permanent` ones are not retried (e.g. the mail server refuses the recipient). */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent = false) {
    super(message);
    this.name = 'DeliveryError';
    this.permanent = permanent;
  }
}
