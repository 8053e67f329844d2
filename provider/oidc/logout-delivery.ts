// Where logout tokens may go. An app's backchannel_logout_uri is called from this server, so a URI on a private
// network would let whoever registers an app make the server reach into its own network: a private, loopback or
// link-local address is refused at registration when the URI names one, and at delivery when its host name resolves
// to one, unless the operator names the host or its network in BACKCHANNEL_LOGOUT_PRIVATE_HOSTS. Outside
// production, loopback is allowed, where an app under development listens. oidc-provider's own guard (which
// refuses every such address) stays on every other request it makes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../app/settings.ts';
import { isLoopback } from '../domain/upstreams/repository.ts';

// The special-use ranges of the IANA registries (RFC 6890): this network, private, shared, loopback, link-local,
// documentation, benchmarking, reserved, unique-local, and the IPv4 ranges seen through NAT64.
const SPECIAL_USE: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
];

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
const blockList = (ranges: readonly (readonly [string, number])[]) => {
  const list = new BlockList();
  for (const [address, prefix] of ranges) list.addSubnet(address, prefix, familyOf(address));
  return list;
};
const specialUse = blockList(SPECIAL_USE);
const loopback = blockList([
  ['127.0.0.0', 8],
  ['::1', 128],
]);
/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) as the IPv4 address it is; a URL's [IPv6] without its brackets. */
const bare = (address: string) => {
  const a = address.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
};

/** A logout token refused for its destination: the message says which address, and the setting that allows it. */
export class PrivateAddressRefused extends Error {
  constructor(host: string, address: string) {
    super(
      `${host}${host === address ? '' : ` (${address})`} is a private network address: logout tokens are sent there only when BACKCHANNEL_LOGOUT_PRIVATE_HOSTS names it`,
    );
    this.name = 'PrivateAddressRefused';
  }
}

/** The refusal behind a failed delivery (fetch wraps it as the cause of its own error), if that is what it was. */
export function privateAddressRefusal(e: unknown): PrivateAddressRefused | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) if (c instanceof PrivateAddressRefused) return c;
  return undefined;
}

const delivering = new AsyncLocalStorage<true>();
/** Runs `send` (oidc-provider's sending of a logout token) with the destination rules above on its request. */
export const asLogoutDelivery = <T>(send: () => Promise<T>): Promise<T> => delivering.run(true, send);

type Agent = new (options: { connect: { lookup: LookupFunction } }) => unknown;

/** The class of Node's own fetch dispatcher (undici's Agent, which Node does not export), as oidc-provider finds it. */
function undiciAgent(): Agent {
  void Response; // Node loads its fetch, and sets the global dispatcher, on first use.
  const g = globalThis as unknown as Record<symbol, { constructor: Agent } | undefined>;
  return (g[Symbol.for('undici.globalDispatcher.2')] ?? g[Symbol.for('undici.globalDispatcher.1')])!.constructor;
}

export function logoutDelivery(config: Pick<Config, 'production' | 'backchannelLogoutPrivateHosts'>) {
  const names = new Set<string>();
  const networks = new BlockList();
  for (const entry of config.backchannelLogoutPrivateHosts) {
    const [address = '', prefix] = entry.split('/');
    if (!isIP(address)) names.add(address);
    else networks.addSubnet(address, prefix === undefined ? (isIP(address) === 6 ? 128 : 32) : Number(prefix), familyOf(address));
  }

  /** Whether `address`, which `host` is or resolved to, may receive logout tokens. */
  function allows(host: string, raw: string): boolean {
    const address = bare(raw);
    const family = familyOf(address);
    if (!specialUse.check(address, family) || names.has(host) || networks.check(address, family)) return true;
    return !config.production && loopback.check(address, family);
  }

  // Checks the very address a connection is made to, so that a host name cannot resolve one way when checked and
  // another when used.
  const lookup: LookupFunction = (hostname, options, callback) =>
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.find((a) => !allows(hostname, a.address));
      if (refused) return callback(new PrivateAddressRefused(hostname, refused.address), '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  let agent: unknown;

  return {
    /** The check of a registered backchannel_logout_uri: https, or http on loopback outside production; no private address. */
    checkUri(uri: unknown) {
      if (uri === undefined) return;
      const url = typeof uri === 'string' ? URL.parse(uri) : null;
      // Back-Channel Logout 1.0, section 2.2.
      if (url?.hash) throw new errors.InvalidClientMetadata('backchannel_logout_uri must not contain a fragment');
      if (!(url?.protocol === 'https:' || (url?.protocol === 'http:' && !config.production && isLoopback(url)))) {
        throw new errors.InvalidClientMetadata(
          config.production ? 'backchannel_logout_uri must use https' : 'backchannel_logout_uri must use https (http only on 127.0.0.1 or localhost)',
        );
      }
      // A host name is checked at each delivery, by the address it resolves to then; `localhost` is loopback everywhere.
      const host = bare(url.hostname);
      const address = isIP(host) ? host : host === 'localhost' || host.endsWith('.localhost') ? '127.0.0.1' : undefined;
      if (address && !allows(host, address)) throw new errors.InvalidClientMetadata(new PrivateAddressRefused(host, address).message);
    },

    /** oidc-provider's `fetch`: a logout token's request with the rules above, any other with its own guard. */
    fetch: ((url, options) => {
      const target = URL.parse(url instanceof Request ? url.url : url);
      const o = options as { dispatcher?: unknown };
      if (delivering.getStore() && target) {
        const host = bare(target.hostname);
        if (isIP(host)) {
          if (!allows(host, host)) return Promise.reject(new PrivateAddressRefused(host, host));
          delete o.dispatcher;
        } else o.dispatcher = agent ??= new (undiciAgent())({ connect: { lookup } });
      } else if (!config.production && target && isLoopback(target)) delete o.dispatcher;
      return globalThis.fetch(url, options);
    }) satisfies NonNullable<Configuration['fetch']>,
  };
}

export type LogoutDelivery = ReturnType<typeof logoutDelivery>;
