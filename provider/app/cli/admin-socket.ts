// While a provider serves the embedded database, `idp` commands run inside it: the CLI sends its arguments over a
// Unix socket in DATA_DIR (a folder only the owner can enter) and relays the command's output and questions. The
// command then uses the server's own services and its single knex connection, so its statements queue behind an
// open transaction like any request's, and no second process ever opens the database.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Io } from './io.ts';

/** One JSON object per line. Client → server: {argv, cwd, terminal}, then {answer} per question. */
type ServerMessage = { out: string } | { err: string } | { ask: string } | { exit: number };
type ClientMessage = { argv: string[]; cwd: string; terminal?: boolean } | { answer: string };

/** The socket's path; relative when the absolute one exceeds what a Unix socket address holds (~104 bytes). */
export function adminSocketPath(dataDir: string): string {
  const absolute = path.resolve(dataDir, 'admin', 'idp.sock');
  const relative = path.relative(process.cwd(), absolute);
  return absolute.length > 100 && relative.length < absolute.length ? relative : absolute;
}

export type RunRemote = (argv: string[], io: Io, cwd: string) => Promise<void>;

/** Serves commands on DATA_DIR's socket; the caller holds the DATA_DIR lock, so a socket file left there is stale. */
export async function serveAdminSocket(dataDir: string, run: RunRemote): Promise<{ close(): Promise<void> }> {
  const folder = path.resolve(dataDir, 'admin');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const file = adminSocketPath(dataDir);
  rmSync(file, { force: true });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const send = (m: ServerMessage) => void (socket.writable && socket.write(`${JSON.stringify(m)}\n`));
    const answers: ((line: string) => void)[] = [];
    let started = false;
    const lines = createInterface({ input: socket });
    lines.on('line', (line) => {
      let m: ClientMessage;
      try {
        m = JSON.parse(line) as ClientMessage;
      } catch {
        return void socket.destroy();
      }
      if ('answer' in m) return answers.shift()?.(m.answer);
      if (started || !Array.isArray(m.argv) || !m.argv.every((a) => typeof a === 'string') || typeof m.cwd !== 'string') return void socket.destroy();
      started = true;
      const io: Io = {
        out: (text) => send({ out: text }),
        err: (text) => send({ err: text }),
        ask: (prompt) =>
          new Promise((resolve, reject) => {
            if (!socket.writable) return reject(new Error('the command line went away'));
            answers.push(resolve);
            socket.once('close', () => reject(new Error('the command line went away')));
            send({ ask: prompt });
          }),
        terminal: m.terminal === true,
        exitCode: 0,
      };
      void run(m.argv, io, m.cwd).then(() => {
        send({ exit: io.exitCode });
        socket.end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  chmodSync(file, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects to the socket; a provider that has just taken DATA_DIR opens it once its start is done. */
async function connect(file: string, waitMs: number): Promise<net.Socket> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(file);
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Runs `argv` in the serving process; resolves with the command's exit status. */
export async function runOnAdminSocket(dataDir: string, argv: string[], io: Io, waitMs = 60_000): Promise<number> {
  const socket = await connect(adminSocketPath(dataDir), waitMs);
  socket.write(`${JSON.stringify({ argv, cwd: process.cwd(), terminal: io.terminal === true } satisfies ClientMessage)}\n`);
  return new Promise((resolve, reject) => {
    let exit: number | undefined;
    socket.once('error', reject);
    createInterface({ input: socket }).on('line', (line) => {
      const m = JSON.parse(line) as ServerMessage;
      if ('out' in m) io.out(m.out);
      else if ('err' in m) io.err(m.err);
      else if ('ask' in m) void io.ask(m.ask).then((answer) => socket.write(`${JSON.stringify({ answer } satisfies ClientMessage)}\n`));
      else exit = m.exit;
    });
    socket.once('close', () => (exit === undefined ? reject(new Error('the provider closed the admin socket before the command finished')) : resolve(exit)));
  });
}
