// What the provider publishes comes from ISSUER, never from the request's Host: a forged Host or X-Forwarded-Host
// cannot point relying apps at another server. Discovery and JWKS say how long they may be cached. Only the
// authorization code flow is offered unless RESPONSE_TYPES turns the implicit and hybrid ones on.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { createClient } from '../../provider/oidc/clients.ts';

/** A GET with whatever Host the caller likes (fetch would not send a forged one). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .once('error', reject);
  });
}

const REDIRECT = 'https://rp.example.be/cb';

describe.each([
  ['directly', {}],
  ['behind a trusted proxy', { TRUST_PROXY: 'true' }],
])('discovery %s', (_how, env) => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite', env)));
  afterAll(() => idp?.close());

  it('names only URLs under ISSUER, whatever Host and X-Forwarded-Host say, and may be cached', async () => {
    const res = await get(`${idp.url}/.well-known/openid-configuration`, {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    const urls = Object.entries(doc).filter(([, v]) => typeof v === 'string' && /^https?:/.test(v));
    expect(urls.length).toBeGreaterThan(5);
    for (const [key, value] of urls) expect(`${key}=${value as string}`).toMatch(new RegExp(`^${key}=${idp.issuer}(/|$)`));
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const jwks = await get(`${idp.url}/jwks`, { host: 'evil.example' });
    expect(jwks.status).toBe(200);
    expect(jwks.headers['cache-control']).toMatch(/max-age=\d+/);
  });
});

describe('response types', () => {
  let idp: TestProvider;
  let hybrid: TestProvider;
  beforeAll(async () => {
    [idp, hybrid] = await Promise.all([startTestProvider('pglite'), startTestProvider('pglite', { RESPONSE_TYPES: 'code, code id_token' })]);
  });
  afterAll(async () => {
    await idp?.close();
    await hybrid?.close();
  });

  const supported = async (p: TestProvider) =>
    ((await (await fetch(`${p.url}/.well-known/openid-configuration`)).json()) as { response_types_supported: string[] }).response_types_supported;

  it('offers the authorization code flow only, and refuses an implicit or hybrid request', async () => {
    expect(await supported(idp)).toEqual(['code']);
    const { client_id } = await createClient(idp.services.provider(), { name: 'App', redirectUris: [REDIRECT] });
    for (const responseType of ['id_token', 'code id_token']) {
      const url = `${idp.url}/auth?${new URLSearchParams({ client_id, redirect_uri: REDIRECT, response_type: responseType, scope: 'openid', nonce: 'n', state: 's' })}`;
      const res = await fetch(url, { redirect: 'manual' });
      const said = res.status === 303 || res.status === 302 ? (res.headers.get('location') ?? '') : await res.text();
      expect(said).toContain('unsupported_response_type');
    }
  });

  it('offers the others only when RESPONSE_TYPES names them', async () => {
    expect(await supported(hybrid)).toEqual(['code', 'code id_token']);
  });
});
