// The load generator: a separate process, so that its work is not counted inside the provider's. It receives one
// scenario as JSON on argv, keeps `connections` requests going for `seconds`, and prints the result as JSON.
import { performance } from 'node:perf_hooks';
import { randomBytes, createHash } from 'node:crypto';
import http from 'node:http';
import autocannon from 'autocannon';

export interface LoadSpec {
  scenario: 'login' | 'client_credentials' | 'client_credentials_jwt' | 'refresh' | 'userinfo' | 'discovery_jwks';
  urls: string[];
  issuer: string;
  seconds: number;
  connections: number;
  client: { id: string; secret: string; redirectUri: string };
  machine: { id: string; secret: string };
  /** The API (a RESOURCE_SERVERS entry) whose JWT access tokens client_credentials_jwt asks for. */
  api: string;
  users: { username: string; password: string }[];
  /** Per-connection credentials prepared by the runner (refresh tokens, access tokens). */
  tokens?: string[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  /** Latency of the login page itself (GET /interaction/…) inside the login scenario. */
  loginPageMs?: number[];
  firstError?: string;
}

// The login's requests go through node:http with a keep-alive agent rather than fetch: fetch costs the shared cores
// several times more per request, and those cores are the provider's too.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

export interface Answer {
  status: number;
  location: string;
  cookies: string[];
  text: string;
}

function send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', cookies: res.headers['set-cookie'] ?? [], text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

class Jar {
  private cookies = new Map<string, string>();
  absorb(answer: Answer) {
    for (const c of answer.cookies) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value) this.cookies.set(pair.slice(0, i), value);
      else this.cookies.delete(pair.slice(0, i));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** HTTP Basic credentials of a client, its id and secret form-encoded first (RFC 6749 §2.3.1). */
export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function expect(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  return answer;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
}

/** The requests of a login, in order; a first-party app's consent is granted without a page of its own. */
export type LoginStep = 'authorization request' | 'login page' | 'login POST' | 'resume' | 'code exchange';

/** Wraps each request of a login: to time it, or to read the provider's counters before and after. */
export type StepHook = (step: LoginStep, request: () => Promise<Answer>) => Promise<Answer>;

const unobserved: StepHook = (_step, request) => request();

/** One full password login: authorization request, login page, login POST, resume, code exchange. */
export async function login(
  base: string,
  spec: Pick<LoadSpec, 'client'>,
  user: { username: string; password: string },
  extra: Record<string, string> = {},
  observe: StepHook = unobserved,
): Promise<TokenResponse> {
  const jar = new Jar();
  const call = (step: LoginStep, method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, body?: string) =>
    observe(step, async () => {
      const answer = await send(method, new URL(url, base), { cookie: jar.header(), ...headers }, body);
      jar.absorb(answer);
      return answer;
    });
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: spec.client.id,
    redirect_uri: spec.client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  const interaction = expect(await call('authorization request', 'GET', `/auth?${params}`), 303, 'authorization request').location;
  const html = expect(await call('login page', 'GET', interaction), 200, 'login page').text;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  let location = expect(
    await call(
      'login POST',
      'POST',
      `${interaction}/login`,
      form,
      new URLSearchParams({ _csrf: csrf, identifier: user.username, password: user.password }).toString(),
    ),
    303,
    'login',
  ).location;
  // Resume → callback; an app that is not first-party would go through a consent page here.
  for (let hops = 0; hops < 6 && !location.startsWith(spec.client.redirectUri); hops++) {
    const answer = await call('resume', 'GET', location);
    location = answer.location;
    if (!location) throw new Error(`redirect chain broke at HTTP ${answer.status}`);
  }
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: spec.client.redirectUri, code_verifier: verifier }).toString();
  const token = await observe('code exchange', () =>
    send('POST', new URL('/token', base), { ...form, authorization: basic(spec.client.id, spec.client.secret) }, body),
  );
  return JSON.parse(expect(token, 200, 'code exchange').text) as TokenResponse;
}

/**
 * The one-request scenarios, driven by autocannon: its HTTP client costs a fraction of fetch per request, so the
 * generator, which shares the machine's cores, takes less of them from the provider being measured.
 */
function requestsFor(spec: LoadSpec): autocannon.Request[] {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (spec.scenario) {
    case 'client_credentials':
    case 'client_credentials_jwt': {
      const body = new URLSearchParams({ grant_type: 'client_credentials', ...(spec.scenario === 'client_credentials_jwt' ? { resource: spec.api } : {}) });
      return [{ method: 'POST', path: '/token', headers: { ...form, authorization: basic(spec.machine.id, spec.machine.secret) }, body: body.toString() }];
    }
    case 'refresh': {
      // A refresh token is good once: each answer's new token goes back to the pool the next request takes from.
      // (autocannon clears a connection's context after each pass over its requests, so the pool is shared.)
      const ready = [...(spec.tokens ?? [])];
      return [
        {
          method: 'POST',
          path: '/token',
          headers: { ...form, authorization: basic(spec.client.id, spec.client.secret) },
          setupRequest: (req) => ({ ...req, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: ready.shift() ?? '' }).toString() }),
          onResponse: (status, body) => {
            if (status === 200) ready.push((JSON.parse(body) as TokenResponse).refresh_token!);
          },
        },
      ];
    }
    case 'userinfo': {
      const tokens = spec.tokens ?? [];
      let next = 0;
      return [{ method: 'GET', path: '/me', setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }];
    }
    case 'discovery_jwks':
      return [
        { method: 'GET', path: '/.well-known/openid-configuration' },
        { method: 'GET', path: '/jwks' },
      ];
    case 'login':
      throw new Error('the login scenario is a browser-like sequence, not one request');
  }
}

function cannon(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: spec.urls[0]!,
        connections: spec.connections,
        duration: spec.seconds,
        requests: requestsFor(spec),
        setupClient: (client) => {
          client.on('response', (status: number, _bytes: number, ms: number) => {
            if (status === 200) latencies.push(ms);
            else {
              errors++;
              firstError ??= `HTTP ${status}`;
            }
          });
        },
      },
      (err) =>
        err
          ? reject(err instanceof Error ? err : new Error(String(err)))
          : resolve({ requests: latencies.length, errors, seconds: (performance.now() - start) / 1000, latenciesMs: latencies, firstError }),
    );
  });
}

/** Password logins in `connections` loops: a sequence of requests with cookies and redirects. */
async function logins(spec: LoadSpec): Promise<LoadResult> {
  const pageMs: number[] = [];
  const timePage: StepHook = async (step, request) => {
    if (step !== 'login page') return request();
    const t0 = performance.now();
    const answer = await request();
    pageMs.push(performance.now() - t0);
    return answer;
  };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: spec.connections }, async (_, c) => {
      const base = spec.urls[c % spec.urls.length]!;
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await login(base, spec, spec.users[c % spec.users.length]!, {}, timePage);
          latencies.push(performance.now() - t);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  return { requests: latencies.length, errors, seconds: (performance.now() - start) / 1000, latenciesMs: latencies, loginPageMs: pageMs, firstError };
}

export const run = (spec: LoadSpec): Promise<LoadResult> => (spec.scenario === 'login' ? logins(spec) : cannon(spec));

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  await run(spec).then((r) => process.stdout.write(JSON.stringify(r)));
}
