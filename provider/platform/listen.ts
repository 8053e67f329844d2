// A server listening on its port, or an error a person can act on when the port is taken: node's own says
// "listen EADDRINUSE" and names neither the setting nor what to do.
import type { Server } from 'node:http';

/** Listens on `port`; when it is taken, fails with "`setting` `port` is already in use on `host`: `advice`". */
export function listen(server: Server, port: number, host: string, taken: { setting: string; advice: string }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`${taken.setting} ${port} is already in use on ${host}: ${taken.advice}`) : e),
    );
    server.listen(port, host, () => resolve());
  });
}
