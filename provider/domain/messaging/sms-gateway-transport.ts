// SMS through any HTTP gateway, configured the way Ory Kratos' courier does it: a URL, a method, an optional
// authorization header and a body template with {{to}} and {{text}}. A 2xx answer is success; any other answer,
// a network error or a timeout is retried by the worker.
import { ConfigError } from '../../platform/errors.ts';
import { DeliveryError, type Transport } from './transport.ts';

export interface SmsGatewayOptions {
  url: string;
  method: string;
  /** "Bearer …" / "Basic …" (sent as Authorization), or a whole "Name: value" header. */
  authHeader?: string | undefined;
  bodyTemplate: string;
  contentType: string;
  timeoutMs: number;
}

const PLACEHOLDER = /\{\{\s*(to|text)\s*\}\}/g;

// Values are escaped for the body's format, so a quote or a line break in a text cannot break the request.
function escaperFor(contentType: string): (value: string) => string {
  if (/json/i.test(contentType)) return (v) => JSON.stringify(v).slice(1, -1);
  if (/x-www-form-urlencoded/i.test(contentType)) return encodeURIComponent;
  return (v) => v;
}

function headerFrom(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const named = /^([A-Za-z0-9-]+):\s*(.+)$/.exec(value);
  return named ? { [named[1] as string]: named[2] as string } : { authorization: value };
}

export function createSmsGatewayTransport(options: SmsGatewayOptions): Transport {
  const escape = escaperFor(options.contentType);
  const body = (to: string, text: string) => options.bodyTemplate.replace(PLACEHOLDER, (_, name: string) => escape(name === 'to' ? to : text));
  // A template that yields broken JSON would fail every SMS; better to refuse the start.
  if (/json/i.test(options.contentType)) {
    try {
      JSON.parse(body('+32000000000', 'a "quoted"\ntext'));
    } catch {
      throw new ConfigError([`SMS_GATEWAY_BODY_TEMPLATE does not give valid JSON: ${options.bodyTemplate}`]);
    }
  }
  const headers = { 'content-type': options.contentType, ...headerFrom(options.authHeader) };

  return {
    name: 'sms-gateway',
    async send(m) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: options.method,
          headers,
          body: body(m.recipient, m.bodyText),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (e) {
        const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
        throw new DeliveryError(`SMS gateway unreachable: ${cause}`);
      }
      const answer = await response.text().catch(() => '');
      if (!response.ok) throw new DeliveryError(`SMS gateway answered ${response.status}: ${answer.slice(0, 200)}`);
    },
  };
}
