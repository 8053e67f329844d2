// With TRUST_PROXY, Koa takes the client's address from X-Forwarded-For: the last PROXY_HOPS entries, which our own
// proxies wrote. Set too high, it reaches entries the client wrote, and any text would become "the address" that the
// throttles count, the audit keeps and the log prints. So the address must be one: a proxy that writes a port with it
// (`203.0.113.9:51234`, `[2001:db8::1]:443`) is understood, anything else refused, and the operator told why.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { Context, Next } from 'koa';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';

const WITH_PORT = /^(?:\[([\da-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/i;

/**
 * The IP address `value` names, with a port or without; undefined for anything else. No zone (`fe80::1%eth0`): Node
 * takes any text after the `%` as one, and a client's network has no interface of ours to name.
 */
export function addressIn(value: string): string | undefined {
  if (value.includes('%')) return undefined;
  if (isIP(value)) return value;
  const [, v6, v4, port] = WITH_PORT.exec(value) ?? [];
  if (Number(port) > 65535) return undefined;
  if (v6 !== undefined) return isIPv6(v6) ? v6 : undefined;
  return v4 !== undefined && isIPv4(v4) ? v4 : undefined;
}

export function checkClientAddress() {
  return async (ctx: Context, next: Next) => {
    // Without a forwarded entry the address is the socket's, from the kernel. With one, the entry itself: Koa's `ip`
    // falls back to the proxy's own address for an empty one (`X-Forwarded-For: ,`).
    const [given] = ctx.request.ips;
    if (given === undefined) return next();
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
