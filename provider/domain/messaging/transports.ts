// How stored messages leave the system: one transport per channel. Without SMTP_URL or SMS_GATEWAY_URL outside
// production, messages go to the log (and stay visible on /dev/messages). In production a missing SMTP_URL stops
// the start, since every account flow sends mail; a missing SMS gateway does not, because only some deployments
// send SMS: their SMS are marked failed with a clear error, and a flow that needs SMS checks SMS_GATEWAY_URL itself.
import type { Config } from '../../app/settings.ts';
import { ConfigError } from '../../platform/errors.ts';
import { log as defaultLog } from '../../platform/log.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import { DeliveryError, type Logger, type Transport, type Transports } from './transport.ts';
import { createSmsGatewayTransport } from './sms-gateway-transport.ts';

export const LINK_PATTERN = /https?:\/\/[^\s<>"]+/g;

export function createLogTransport(logger: Logger = defaultLog): Transport {
  return {
    name: 'log',
    async send(m) {
      // An SMS is short and its code is what a developer needs; of a mail, the links are.
      const content = m.channel === 'sms' ? { text: m.bodyText } : { subject: m.subject, links: m.bodyText.match(LINK_PATTERN) ?? [] };
      logger.info('message not sent (no transport configured; /dev/messages shows it where served, see DEV_MAILBOX)', {
        channel: m.channel,
        to: m.recipient,
        ...content,
      });
    },
  };
}

function unconfigured(setting: string): Transport {
  return {
    name: 'none',
    async send() {
      throw new DeliveryError(`${setting} is not set`, true);
    },
  };
}

export type TransportConfig = Pick<
  Config,
  | 'production'
  | 'smtpUrl'
  | 'mailFrom'
  | 'smsGatewayUrl'
  | 'smsGatewayMethod'
  | 'smsGatewayAuthHeader'
  | 'smsGatewayBodyTemplate'
  | 'smsGatewayContentType'
  | 'smsGatewayTimeout'
>;

export function transportsFromConfig(config: TransportConfig, logger: Logger = defaultLog): Transports {
  if (config.production && !config.smtpUrl) throw new ConfigError(['SMTP_URL is required when NODE_ENV=production']);
  const email = config.smtpUrl ? createSmtpTransport({ url: config.smtpUrl, from: config.mailFrom }) : createLogTransport(logger);
  const sms = config.smsGatewayUrl
    ? createSmsGatewayTransport({
        url: config.smsGatewayUrl,
        method: config.smsGatewayMethod,
        authHeader: config.smsGatewayAuthHeader,
        bodyTemplate: config.smsGatewayBodyTemplate,
        contentType: config.smsGatewayContentType,
        timeoutMs: config.smsGatewayTimeout * 1000,
      })
    : config.production
      ? unconfigured('SMS_GATEWAY_URL')
      : createLogTransport(logger);
  if (sms.name === 'none') logger.warn('SMS_GATEWAY_URL is not set: SMS will be marked failed');
  return { email, sms };
}
