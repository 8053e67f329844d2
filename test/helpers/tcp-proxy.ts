// A TCP proxy a test controls. In front of PostgreSQL, a cut is the database going down (pooled connections die,
// new ones are refused) without stopping the server others use; in front of provider processes, it is the load
// balancer, and `retarget` moves the traffic to another process.
import net from 'node:net';

export async function startTcpProxy(initial: { host: string; port: number }) {
  let target = initial;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port,
    /** Refuses new connections and kills the open ones. */
    cut: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        dropAll();
      }),
    restore: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    /** Sends new connections to another upstream and drops the open ones (a balancer after a health check). */
    retarget(next: { host: string; port: number }) {
      target = next;
      dropAll();
    },
    close: () =>
      new Promise<void>((r) => {
        dropAll();
        if (server.listening) server.close(() => r());
        else r();
      }),
  };
}
