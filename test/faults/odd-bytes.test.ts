// Odd bytes an attack pass sent that reached a server error (a 500 and an "unhandled error" in the log): each now gets
// a plain refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { Agent } from '../flows/account/agent.ts';

describe('odd bytes', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open' });
  });
  afterAll(() => idp?.close());

  it('refuses a form token of the right length in characters but not in bytes as a stale form', async () => {
    const agent = new Agent(idp.issuer);
    const page = await agent.get('/recovery');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const answer = await fetch(`${idp.issuer}/recovery`, {
      method: 'POST',
      headers: { cookie: [...agent.jar].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ _csrf: 'é'.repeat(token.length), email: 'x@example.org' }),
    });
    expect([answer.status, await answer.text()]).toEqual([403, expect.stringContaining('This form has expired. Reload the page and send it again.')]);
  });

  it("answers a NUL in a path's parameter (an upstream's name) as a page that does not exist, at a link and at a login", async () => {
    expect((await fetch(`${idp.issuer}/upstream/a%00b/start?purpose=link`)).status).toBe(404);
    const app = await createClient(idp.services.provider(), { name: 'X', redirectUris: ['http://127.0.0.1:9/cb'], firstParty: true });
    const agent = new Agent(idp.issuer);
    const login = await agent.get(
      `/auth?client_id=${app.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    const uid = /\/interaction\/([^/?#]+)/.exec(login.url)![1]!;
    expect((await agent.raw(`/interaction/${uid}/upstream/a%00b/start`)).status).toBe(404);
  });

  it('refuses a form of 13,000 names as too large before its token is checked, and reads repeated and odd names as fields', async () => {
    // Two letters and three: 13,000 distinct names in 52 KB, under the size limit (each took a scan of all the others).
    const names = Array.from({ length: 13_000 }, (_, i) => i.toString(36).padStart(3, 'a')).join('&');
    const flood = await fetch(`${idp.issuer}/recovery`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: names,
    });
    expect([flood.status, await flood.text()]).toEqual([413, expect.stringContaining('What you sent is too large.')]);
    // A form with repeated names and a `__proto__` field is read as its fields: here a stale form, as any other.
    const odd = await fetch(`${idp.issuer}/recovery`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: '__proto__=a&__proto__=b&email=x%40example.org&email=y%40example.org&_csrf=x',
    });
    expect([odd.status, await odd.text()]).toEqual([403, expect.stringContaining('This form has expired.')]);
  });

  it('refuses a JSON body nested thirty thousand deep as bad input, not with a stack overflow', async () => {
    const deep = '{"mobile":' + '['.repeat(30000) + ']'.repeat(30000) + '}';
    const answer = await fetch(`${idp.issuer}/eid/reactivation/nonce`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });
});
