// Development only (never in production; see servesDevMailbox): the latest outbox messages, so a developer or an
// end-to-end test can follow an activation link without a mail server. A mail's HTML is never put
// into the page: it is its own document, framed with `sandbox`, and shown as escaped source.
import { isIPv4 } from 'node:net';
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import { hostnameOf } from '../../platform/web/issuer-host.ts';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { renderMessage, renderPage } from '../../platform/web/page.ts';
import { findMessage, latestMessages, type OutboxMessage } from './outbox.ts';
import { LINK_PATTERN } from './transports.ts';

const LIMIT = 50;

// The page's own policy would blank the frame (frame-ancestors 'none') and strip the inline styles every mail
// carries. This one allows those styles and nothing else: no script, no fetch, an opaque origin.
const MAIL_PREVIEW_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

interface Segment {
  text: string;
  href?: string;
}

/** A line of the text part cut into plain text and links, so the template can make the links clickable. */
function segments(line: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of line.matchAll(LINK_PATTERN)) {
    if (match.index > last) out.push({ text: line.slice(last, match.index) });
    out.push({ text: match[0], href: match[0] });
    last = match.index + match[0].length;
  }
  if (last < line.length) out.push({ text: line.slice(last) });
  return out;
}

const view = (m: OutboxMessage) => ({ ...m, lines: m.bodyText.split('\n').map(segments) });

/** localhost, ::1, or an IPv4 address in 127.0.0.0/8: not a DNS name that only starts with "127.". */
const isLoopback = (host: string) => {
  const address = host.replace(/^::ffff:/i, '');
  return address === 'localhost' || address === '::1' || (isIPv4(address) && address.startsWith('127.'));
};

/**
 * The mailbox shows every reset and activation link, so reaching it is taking over accounts: it is served only when
 * the provider listens on loopback (nobody else can reach the port), or when DEV_MAILBOX=true says so; never in
 * production.
 */
export function servesDevMailbox(config: Pick<Config, 'production' | 'devMailbox' | 'host'>): boolean {
  return !config.production && (config.devMailbox ?? isLoopback(config.host));
}

/**
 * Whether the browser named the provider by a loopback name or by ISSUER's. A page elsewhere whose name an attacker
 * points at 127.0.0.1 after it loaded (DNS rebinding) is same-origin with its own name, and could read the mailbox
 * from the developer's browser; its requests carry that name as Host.
 */
function namedAsProvider(host: string, issuerHostname: string): boolean {
  const hostname = hostnameOf(host);
  return hostname !== undefined && (hostname === issuerHostname || isLoopback(hostname.replace(/^\[|\]$/g, '')));
}

export function devMessagesRouter(db: Db, issuerUrl: string): Router {
  const router = createRouter();
  const issuerHostname = new URL(issuerUrl).hostname;
  router.use('/dev/messages', async (ctx, next) => {
    if (!namedAsProvider(ctx.get('host'), issuerHostname)) return renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
    await next();
  });
  router.get('/dev/messages', async (ctx) => {
    const messages = await latestMessages(db, LIMIT);
    renderPage(ctx, 'pages/dev-messages.njk', { titleKey: 'dev_messages.title', limit: LIMIT, messages: messages.map(view) });
  });
  router.get('/dev/messages/:id', async (ctx) => {
    const message = await findMessage(db, ctx.params.id ?? '');
    if (!message) return renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
    renderPage(ctx, 'pages/dev-messages.njk', { titleKey: 'dev_messages.title', message: view(message) });
  });
  router.get('/dev/messages/:id/html', async (ctx) => {
    const message = await findMessage(db, ctx.params.id ?? '');
    if (!message?.bodyHtml) return renderMessage(ctx, 404, 'error.not_found.title', 'error.not_found.message');
    ctx.set('Content-Security-Policy', MAIL_PREVIEW_CSP);
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = message.bodyHtml;
  });
  return router;
}
