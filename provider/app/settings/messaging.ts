// How mail, SMS and logout tokens leave: the SMS gateway, the outbox's retries, the apps' private addresses.
import { z } from 'zod';
import { seconds, positiveInt, url, hostOrNetworkList, setting } from './kinds.ts';

export const messagingSettings = {
  smsGatewayUrl: setting({
    env: 'SMS_GATEWAY_URL',
    schema: url.optional(),
    doc: 'HTTP endpoint of the SMS gateway; absent in development: SMS go to the log and the outbox (see DEV_MAILBOX)',
  }),
  smsGatewayMethod: setting({
    env: 'SMS_GATEWAY_METHOD',
    schema: z.enum(['POST', 'PUT', 'PATCH']),
    default: 'POST',
    doc: 'HTTP method of the SMS gateway request',
  }),
  smsGatewayAuthHeader: setting({
    env: 'SMS_GATEWAY_AUTH_HEADER',
    sensitive: true,
    schema: z.string().min(1).optional(),
    doc: 'sent as Authorization ("Bearer …", "Basic …"), or a whole "Name: value" header such as "X-Api-Key: …"; never logged',
  }),
  smsGatewayBodyTemplate: setting({
    env: 'SMS_GATEWAY_BODY_TEMPLATE',
    schema: z.string().min(1),
    default: '{"to":"{{to}}","text":"{{text}}"}',
    doc: 'request body; {{to}} (E.164 number) and {{text}} are substituted, escaped for the content type (JSON or form)',
  }),
  smsGatewayContentType: setting({
    env: 'SMS_GATEWAY_CONTENT_TYPE',
    schema: z.string().min(1),
    default: 'application/json',
    doc: 'Content-Type of the SMS gateway request',
  }),
  smsGatewayTimeout: setting({
    env: 'SMS_GATEWAY_TIMEOUT',
    schema: seconds,
    default: '10',
    doc: 'seconds before an unanswered SMS gateway request counts as failed and is retried',
  }),
  outboxPollMs: setting({
    env: 'OUTBOX_POLL_MS',
    schema: positiveInt,
    default: '2000',
    doc: 'how often the outbox worker looks for mails, SMS and logout tokens to send, milliseconds',
  }),
  outboxMaxAttempts: setting({
    env: 'OUTBOX_MAX_ATTEMPTS',
    schema: positiveInt,
    default: '10',
    doc: 'delivery attempts of one mail, SMS or logout token before it is marked failed',
  }),
  outboxBackoffSeconds: setting({
    env: 'OUTBOX_BACKOFF_SECONDS',
    schema: seconds,
    default: '30',
    doc: 'wait before the first retry; it doubles at each further attempt',
  }),
  outboxBackoffMaxSeconds: setting({ env: 'OUTBOX_BACKOFF_MAX_SECONDS', schema: seconds, default: '3600', doc: 'longest wait between two delivery attempts' }),
  outboxRetentionDays: setting({
    env: 'OUTBOX_RETENTION_DAYS',
    schema: positiveInt,
    default: '30',
    doc: 'sent and failed mails, SMS and logout tokens are deleted after this many days',
  }),
  auditRetentionDays: setting({
    env: 'AUDIT_RETENTION_DAYS',
    schema: positiveInt,
    default: '365',
    doc: 'days the audit trail keeps a security event before the purge deletes it',
  }),
  backchannelLogoutPrivateHosts: setting({
    env: 'BACKCHANNEL_LOGOUT_PRIVATE_HOSTS',
    schema: hostOrNetworkList,
    default: '',
    doc: "comma list of host names, IP addresses and networks (10.20.0.0/16, fd00::/8) on a private network to which apps' logout tokens (backchannel_logout_uri) may be sent; any other private, loopback or link-local address is refused at registration and at delivery (loopback is allowed outside production)",
  }),
} as const;
