// Mail over SMTP with nodemailer. SMTP_URL carries host, port, credentials and options as nodemailer reads them
// (smtp://user:pass@host:587 upgrades with STARTTLS when offered; smtps:// is TLS from the start; query options
// such as ?requireTLS=true or ?tls.rejectUnauthorized=false are passed on).
import nodemailer from 'nodemailer';
import { DeliveryError, type Transport } from './transport.ts';

export interface SmtpTransportOptions {
  url: string;
  /** MAIL_FROM, e.g. "Identity <no-reply@example.org>"; its domain also ends every Message-ID. */
  from: string;
}

/**
 * `<outbox-id@sender-domain>`: the same for every attempt of one outbox row. If a process dies after the server
 * accepted a mail but before the row was marked sent, the lease runs out and another worker sends it again; the
 * two copies then share this Message-ID, which mail programs and the support desk recognise as one message.
 */
export function messageIdFor(outboxId: string, from: string): string {
  const domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  return `<${outboxId}@${domain}>`;
}

// The recipient or the content refused for good (5xx at RCPT or DATA): another attempt gets the same answer.
// A 5xx elsewhere (e.g. bad credentials) is the operator's to fix, and the mail should go once it is.
const REFUSED_MESSAGE = new Set(['EENVELOPE', 'EMESSAGE']);

export function createSmtpTransport(options: SmtpTransportOptions): Transport {
  const transporter = nodemailer.createTransport({
    url: options.url,
    // A worker's lease (2 minutes) must outlast one attempt; nodemailer's defaults would wait up to 10 minutes.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    name: 'smtp',
    async send(m) {
      try {
        await transporter.sendMail({
          from: options.from,
          to: m.recipient,
          subject: m.subject ?? '',
          text: m.bodyText,
          ...(m.bodyHtml ? { html: m.bodyHtml } : {}),
          messageId: messageIdFor(m.id, options.from),
          // RFC 3834: no vacation or out-of-office replies to these.
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
      } catch (e) {
        // nodemailer sets `permanent` on errors that carry an SMTP reply (5xx except 503).
        const err = e as Error & { code?: string; permanent?: boolean };
        throw new DeliveryError(`SMTP: ${err.message}`, !!err.permanent && REFUSED_MESSAGE.has(err.code ?? ''));
      }
    },
    close: () => transporter.close(),
  };
}
