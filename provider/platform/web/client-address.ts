// With TRUST_PROXY, Koa takes the client's address from X-Forwarded-For: the last PROXY_HOPS entries, which our own
// proxies wrote. Set too high, it reaches entries the client wrote, and any text would become "the address" that the
// throttles count, the audit keeps and the log prints. So the address must be one: a proxy that writes a port with it
// (`203.0.113.9:51234`, `[2001:db8::1]:443`) is understood, anything else refused, and the operator told why.
import { isIP } from 'node:net';
import type { Context, Next } from 'koa';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';

const WITH_PORT = /^(?:\[([\da-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$/i;

/** The IP address `value` names, with a port or without; undefined for anything else. */
export function addressIn(value: string): string | undefined {
  if (isIP(value)) return value;
  const [, v6, v4] = WITH_PORT.exec(value) ?? [];
  const address = v6 ?? v4;
  return address && isIP(address) ? address : undefined;
}

export function checkClientAddress() {
  return async (ctx: Context, next: Next) => {
    const given = ctx.ip;
    const address = addressIn(given);
    // Koa's `request.ip` has a setter: every later reader (throttles, audit, the access line) gets the address alone.
    ctx.request.ip = address ?? ctx.socket.remoteAddress ?? '';
    if (!address) {
      log.warn("X-Forwarded-For gives no IP address as the client's: is PROXY_HOPS more than the proxies in front?", { given: given.slice(0, 100) });
      throw new AppError('bad_client_address', 'error.message', 400);
    }
    await next();
  };
}
