// The floor of a refresh on this machine and stack: the work a rotating refresh cannot skip, with nothing between
// node:http and pg. It checks the client's Basic credentials, reads the refresh token's row, writes the consumed
// token and the new access and refresh tokens in one statement, signs an RS256 ID token through WebCrypto (as jose
// does) and answers JSON. Measured in the same run as the provider's refresh, it tells what the provider spends
// above that work: koa, oidc-provider, knex, our middleware. Run by bench/run.ts as `node bench/refresh-floor.ts`.
import http from 'node:http';
import { randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** A refresh token's stored payload, of the size oidc-provider stores (its claims, grant, client, expiry). */
const PAYLOAD = {
  kind: 'RefreshToken',
  accountId: '0b4e7c1a-6a0e-4f0a-9c3b-2d3f1e5a7b9c',
  grantId: randomBytes(32).toString('base64url'),
  clientId: randomBytes(32).toString('base64url'),
  scope: 'openid offline_access',
  sessionUid: randomBytes(16).toString('base64url'),
  iat: 0,
  exp: 0,
  rotations: 0,
  acr: 'urn:belid:acr:password',
  amr: ['pwd'],
  authTime: 0,
  expiresWithSession: false,
};

const b64 = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

async function serve(databaseUrl: string, port: number, authorization: string, tokens: string[]) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // The bench's own schema, or DATABASE_URL's when it is set: the table of an earlier run is emptied.
  await pool.query('create table if not exists bench_refresh_floor (id text primary key, payload text not null, consumed timestamptz)');
  await pool.query('truncate bench_refresh_floor');
  const now = Math.floor(Date.now() / 1000);
  const stored = JSON.stringify({ ...PAYLOAD, iat: now, exp: now + 86_400, authTime: now });
  for (const id of tokens) await pool.query('insert into bench_refresh_floor (id, payload) values ($1, $2)', [id, stored]);
  const { privateKey } = await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const expected = Buffer.from(authorization);
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'floor' }));

  async function refresh(body: string): Promise<[number, string]> {
    const token = new URLSearchParams(body).get('refresh_token') ?? '';
    const row = (await pool.query<{ payload: string }>('select payload from bench_refresh_floor where id = $1 and consumed is null', [token])).rows[0];
    if (!row) return [400, JSON.stringify({ error: 'invalid_grant' })];
    const grant = JSON.parse(row.payload) as typeof PAYLOAD;
    const [access, next] = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
    const iat = Math.floor(Date.now() / 1000);
    await pool.query(
      'with consumed as (update bench_refresh_floor set consumed = now() where id = $1) insert into bench_refresh_floor (id, payload) values ($2, $3), ($4, $5)',
      [
        token,
        access,
        JSON.stringify({ ...grant, kind: 'AccessToken', iat, exp: iat + 3600 }),
        next,
        JSON.stringify({ ...grant, rotations: grant.rotations + 1 }),
      ],
    );
    const claims = b64(
      JSON.stringify({
        sub: grant.accountId,
        iss: 'http://floor.invalid',
        aud: grant.clientId,
        iat,
        exp: iat + 3600,
        acr: grant.acr,
        amr: grant.amr,
        at_hash: b64(randomBytes(16)),
      }),
    );
    const signature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, Buffer.from(`${header}.${claims}`));
    return [
      200,
      JSON.stringify({
        access_token: access,
        expires_in: 3600,
        id_token: `${header}.${claims}.${b64(new Uint8Array(signature))}`,
        refresh_token: next,
        scope: grant.scope,
        token_type: 'Bearer',
      }),
    ];
  }

  http
    .createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const given = Buffer.from(req.headers.authorization ?? '');
        const answer: Promise<[number, string]> =
          given.length === expected.length && timingSafeEqual(given, expected) ? refresh(body) : Promise.resolve([401, '{"error":"invalid_client"}']);
        answer.then(
          ([status, json]) => {
            res.writeHead(status, {
              'content-type': 'application/json; charset=utf-8',
              'cache-control': 'no-store',
              'content-length': Buffer.byteLength(json),
            });
            res.end(json);
          },
          () => {
            res.statusCode = 500;
            res.end();
          },
        );
      });
    })
    .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

/** Starts the floor in its own process, with `tokens` stored as usable refresh tokens; resolves once it listens. */
export async function startRefreshFloor(o: { databaseUrl: string; port: number; authorization: string; tokens: string[] }) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the refresh floor exited ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${o.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

if (import.meta.main) {
  const o = JSON.parse(process.argv[2]!) as Parameters<typeof startRefreshFloor>[0];
  await serve(o.databaseUrl, o.port, o.authorization, o.tokens);
}
