// Node answers a request whose head it cannot read itself, before any middleware: an address of 100 KB (or a header
// past its 16 KB for them all) gets a bare 431, which a browser shows as an empty page. That one gets a page saying
// what happened and what to do, in the provider's default language (the head that would name another is what could
// not be read); any other unreadable head node's own bare answer.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { translate, type Locale } from './i18n.ts';

/** Node's status for each head it cannot read (its _http_server.js); 400 for the rest. */
const STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function page(locale: Locale): string {
  const title = `${translate(locale, 'error.title')} – ${translate(locale, 'app.name')}`;
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escape(title)}</title></head><body><main><h1>${escape(translate(locale, 'error.title'))}</h1>` +
    `<p>${escape(translate(locale, 'error.address_too_long'))}</p></main></body></html>`
  );
}

export function answerUnreadableHeads(server: Server, locale: Locale): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As node: nothing written into a response already under way on this connection, which it would corrupt.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
    const status = STATUS[err.code ?? ''] ?? 400;
    const body = status === 431 ? page(locale) : '';
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Connection: close',
      ...(body ? ['Content-Type: text/html; charset=utf-8', "Content-Security-Policy: default-src 'none'", 'X-Content-Type-Options: nosniff'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}
