// A real SMTP server inside the test process, on a free 127.0.0.1 port, for every test that sends mail.
//
//   const sink = await startSmtpSink();          // SMTP_URL = sink.url (smtp://127.0.0.1:PORT)
//   … let the code send …
//   const mail = await sink.waitFor((m) => m.to.includes('ann@example.org'));
//   mail.subject, mail.text, mail.html, mail.messageId, mail.headers.get('auto-submitted')
//   await sink.stop();                           // in afterAll
//
// Outages: `down()` closes the port so connections are refused, `up()` listens again on the same port;
// `refuse(421)` keeps the port open but answers every new connection with that reply (a busy or greylisting
// server); `rejectRecipient(address)` answers RCPT TO for that address with 550 (a permanent refusal).
// The server offers neither STARTTLS nor anything else TLS, so a client talks plain SMTP on loopback; AUTH is
// optional and any credentials are accepted, so an SMTP_URL with user:pass works too. A message is in `messages`
// before the server confirms it, so once a client's send has resolved the mail is there.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type HeaderValue } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './wait.ts';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), as the server accepted them. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** The From header as text, e.g. "Identity <no-reply@localhost>". */
  from: string;
  subject: string;
  text: string;
  /** The HTML part, or undefined for a text-only mail. */
  html: string | undefined;
  /** With angle brackets, e.g. "<id@example.org>". */
  messageId: string;
  /** Lower-case header names, values as mailparser decodes them. */
  headers: Map<string, HeaderValue>;
  /** The whole message as received. */
  raw: string;
}

export interface SmtpSink {
  readonly url: string;
  readonly port: number;
  /** Every mail received, in order of arrival. */
  readonly messages: ReceivedMail[];
  /** The first received mail matching `predicate` (any mail without one), waiting up to `timeoutMs`. */
  waitFor(predicate?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Stops listening: new connections are refused until up(). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Answers each new connection with `code` (e.g. 421) and closes it; null accepts again. */
  refuse(code: number | null): void;
  /** RCPT TO this address gets 550 from now on. */
  rejectRecipient(address: string): void;
  /** Forgets the received mails (between tests). */
  clear(): void;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const rejected = new Set<string>();
  let refusal: number | null = null;
  let port = 0;

  const options: SMTPServerOptions = {
    secure: false,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    // A closing server waits this long for open sessions, then answers them 421: down() must be quick.
    closeTimeout: 100,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
    onConnect(_session, callback) {
      if (refusal === null) return callback();
      callback(Object.assign(new Error('Service not available, try again later'), { responseCode: refusal }));
    },
    onRcptTo(address, _session, callback) {
      if (!rejected.has(address.address.toLowerCase())) return callback();
      callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const envelopeFrom = session.envelope.mailFrom;
            messages.push({
              to: session.envelope.rcptTo.map((a) => a.address),
              envelopeFrom: envelopeFrom ? envelopeFrom.address : '',
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: parsed.html === false ? undefined : parsed.html,
              messageId: parsed.messageId ?? '',
              headers: parsed.headers,
              raw,
            });
            callback();
          })
          .catch((e: Error) => callback(e));
      });
    },
  };

  let server: SMTPServer | undefined;
  const listen = async () => {
    const s = new SMTPServer(options);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  const close = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor: (predicate = () => true, timeoutMs = 5000) => waitUntil(() => messages.find(predicate), timeoutMs, 'a mail in the SMTP sink'),
    down: close,
    up: async () => {
      if (!server) await listen();
    },
    refuse(code) {
      refusal = code;
    },
    rejectRecipient(address) {
      rejected.add(address.toLowerCase());
    },
    clear() {
      messages.length = 0;
    },
    stop: close,
  };
}
