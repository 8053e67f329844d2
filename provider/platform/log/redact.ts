// What a log line may say about a person: enough to follow one request or one account through the log, never what
// would let someone log in as them or find them. Secrets go entirely; addresses and IPs are shortened; an account
// is named by a keyed hash prefix, the same one on every line, so that its lines can still be grepped together.
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

const SECRET_KEYS = /pass(word)?|secret|token|pin|code|cookie|authorization|national|nonce|hash|otp|signature|key/i;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const IP_KEYS = /^(ip|address|remote|client_?ip|from)$/i;
const USER_KEYS = /^(user_?id|account_?id|sub|userId|accountId)$/;
const MAX_DEPTH = 4;

/** `key` keeps account pseudonyms stable within a deployment and unguessable outside it (TOKEN_HMAC_KEY). */
export function createRedactor(key: string) {
  const pseudonym = (id: string) => `u_${createHmac('sha256', key).update(id).digest('base64url').slice(0, 12)}`;

  function value(k: string, v: unknown, depth: number): unknown {
    if (v == null || typeof v === 'boolean' || typeof v === 'number') return v;
    if (SECRET_KEYS.test(k) && !/^(code|status_?code|error_?code|reason_?code|cause_?code)$/i.test(k)) return '[redacted]';
    if (typeof v === 'string') {
      if (USER_KEYS.test(k)) return pseudonym(v);
      if (IP_KEYS.test(k) && isIP(v)) return truncateIp(v);
      return v.replace(EMAIL, '$1…@$2');
    }
    if (Array.isArray(v)) return depth >= MAX_DEPTH ? '[…]' : v.map((x) => value(k, x, depth + 1));
    if (typeof v === 'object') return depth >= MAX_DEPTH ? '[…]' : fields(v as Record<string, unknown>, depth + 1);
    return typeof v === 'bigint' || typeof v === 'symbol' ? v.toString() : '[unloggable]';
  }

  function fields(f: Record<string, unknown>, depth = 0): Record<string, unknown> {
    return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, value(k, v, depth)]));
  }

  return { fields, pseudonym };
}

/** An IPv4 address to its /24, an IPv6 address to its /48: the network, not the household. */
export function truncateIp(ip: string): string {
  const v4 = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  if (isIP(v4) === 4) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = expandV6(ip);
  return `${groups.slice(0, 3).join(':')}::/48`;
}

function expandV6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t].map((g) => g.replace(/^0+(?=.)/, ''));
}
