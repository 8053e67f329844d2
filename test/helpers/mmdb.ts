// A tiny MaxMind DB (the .mmdb format of GeoLite2, https://maxmind.github.io/MaxMind-DB/) written by hand, so that
// the GeoIP tests need no file from the internet: an IPv6 search tree of 24-bit records (IPv4 networks under ::/96,
// as MaxMind stores them), a data section of maps and strings, and the metadata.
import { isIPv4 } from 'node:net';

type Value = string | { [key: string]: Value } | Value[] | { uint: number | bigint; bytes: 2 | 4 | 8 };

function control(type: number, size: number): Buffer {
  if (size >= 29) throw new Error('sizes of 29 and more are not needed here');
  return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
}

function encode(v: Value): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, b.length), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encode)]);
  if ('uint' in v && 'bytes' in v && typeof v.bytes === 'number') {
    let n = BigInt(v.uint as number | bigint);
    const bytes: number[] = [];
    for (; n > 0n; n >>= 8n) bytes.unshift(Number(n & 0xffn));
    return Buffer.concat([control({ 2: 5, 4: 6, 8: 9 }[v.bytes], bytes.length), Buffer.from(bytes)]);
  }
  const entries = Object.entries(v as Record<string, Value>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

/** The 128 bits of an address (an IPv4 one under ::/96), first `prefix` of them (an IPv4 prefix counts from bit 96). */
function bitsOf(network: string): number[] {
  const [address = '', length = ''] = network.split('/');
  let words: number[];
  if (isIPv4(address)) words = [0, 0, 0, 0, 0, 0, ...[0, 2].map((i) => (Number(address.split('.')[i]) << 8) | Number(address.split('.')[i + 1]))];
  else {
    const [head = '', tail = ''] = address.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    words = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  }
  const bits = words.flatMap((w) => Array.from({ length: 16 }, (_, i) => (w >> (15 - i)) & 1));
  return bits.slice(0, (isIPv4(address) ? 96 : 0) + Number(length));
}

interface TreeNode {
  children: [TreeNode | number | null, TreeNode | number | null];
}

/** A city database: each network (`1.2.3.0/24`, `2001:db8::/32`) to the record an address in it gets. */
export function cityDatabase(networks: Record<string, Value>): Buffer {
  const records = Object.values(networks).map(encode);
  const offsets = records.map((_, i) => records.slice(0, i).reduce((n, r) => n + r.length, 0));
  const root: TreeNode = { children: [null, null] };
  Object.keys(networks).forEach((network, i) => {
    const bits = bitsOf(network);
    let node = root;
    bits.forEach((bit, depth) => {
      if (depth === bits.length - 1) node.children[bit as 0 | 1] = i;
      else {
        const next = node.children[bit as 0 | 1];
        node = typeof next === 'object' && next ? next : (node.children[bit as 0 | 1] = { children: [null, null] });
      }
    });
  });
  const nodes: TreeNode[] = [];
  const number = new Map<TreeNode, number>();
  for (const queue = [root]; queue.length;) {
    const n = queue.shift()!;
    number.set(n, nodes.push(n) - 1);
    for (const c of n.children) if (typeof c === 'object' && c) queue.push(c);
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((n, i) =>
    n.children.forEach((c, side) => {
      const value = c === null ? count : typeof c === 'number' ? count + 16 + offsets[c]! : number.get(c)!;
      tree.writeUIntBE(value, i * 6 + side * 3, 3);
    }),
  );
  const metadata = encode({
    node_count: { uint: count, bytes: 4 },
    record_size: { uint: 24, bytes: 2 },
    ip_version: { uint: 6, bytes: 2 },
    database_type: 'Test-City',
    languages: ['en', 'de', 'fr'],
    binary_format_major_version: { uint: 2, bytes: 2 },
    binary_format_minor_version: { uint: 0, bytes: 2 },
    build_epoch: { uint: 1_764_979_200, bytes: 8 },
    description: { en: 'belid test cities' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...records, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}

/** A GeoLite2-City record: the city in some languages and the country's ISO code. */
export const city = (names: Record<string, string>, isoCode: string): Value => ({ city: { names }, country: { iso_code: isoCode } });
