// Counts the statements the provider sends PostgreSQL, on the wire: a loopback proxy between the provider and the
// server that reads the frontend protocol. Counting here needs no hook in the provider and sees every query any
// layer issues (knex, oidc-provider's adapter, migrations, BEGIN/COMMIT), each one a round trip the provider waits
// for.
import net from 'node:net';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

export interface WireCounter {
  /** A DATABASE_URL that reaches the same database through the counter. */
  url: string;
  /** Simple queries ('Q') plus executions of prepared statements ('E') so far. */
  queries(): number;
  /** The text of each statement counted since the last call (what `--statements` lists per operation). */
  takeStatements(): string[];
  close(): Promise<void>;
}

/** `record` keeps each statement's text for `takeStatements` (off under load: the texts would pile up). */
export async function startWireCounter(databaseUrl: string, { record = false } = {}): Promise<WireCounter> {
  const target = new URL(databaseUrl);
  let count = 0;
  let texts: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) s.once('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.pipe(client);
    // The frontend stream: untyped startup packets (SSL/GSS requests, then the startup message), then typed messages.
    let buffered = Buffer.alloc(0);
    let started = false;
    // The extended protocol names the text at Parse, binds it to a portal, and executes the portal.
    const prepared = new Map<string, string>();
    const portals = new Map<string, string>();
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) break;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) break;
          const code = buffered.readInt32BE(4);
          started = code !== SSL_REQUEST && code !== GSS_REQUEST;
          buffered = buffered.subarray(length);
          continue;
        }
        if (buffered.length < 5) break;
        const length = buffered.readInt32BE(1);
        if (buffered.length < 1 + length) break;
        const type = String.fromCharCode(buffered[0]!);
        const body = buffered.subarray(5, 1 + length);
        const [first = '', second = ''] = cstrings(body, 2);
        if (type === 'P') prepared.set(first, second);
        else if (type === 'B') portals.set(first, prepared.get(second) ?? '');
        else if (type === 'Q' || type === 'E') {
          count++;
          if (record) texts.push(type === 'Q' ? first : (portals.get(first) ?? ''));
        }
        buffered = buffered.subarray(1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const via = new URL(databaseUrl);
  via.hostname = '127.0.0.1';
  via.port = String((server.address() as net.AddressInfo).port);
  return {
    url: via.toString(),
    queries: () => count,
    takeStatements: () => {
      const taken = texts;
      texts = [];
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The first `n` NUL-terminated strings of a message body. */
function cstrings(body: Buffer, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (out.length < n) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}
