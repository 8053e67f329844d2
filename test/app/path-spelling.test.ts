// A path reaches a route only as the route spells it. @koa/router matched a route's path whatever its letter case,
// but a router's `use` under a fixed prefix (/admin, /admin/audit, /admin/organisations, /eid/reactivation) only in
// the prefix's own case: /ADMIN/audit ran the page without the staff check in front of it (an attack pass read the
// audit trail and added members to organisations, logged out), and /EID/reactivation/nonce took a cross-site form
// past the JSON-only check. oidc-provider's own router folds case on purpose, so what we check in front of it
// (the registration cap) matches its paths as it does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';

const TOKEN = 'initial-access-token-for-tests';

describe('paths spelled otherwise', () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite', { IDP_INITIAL_ACCESS_TOKEN: TOKEN, RATE_LIMIT_CLIENT_REGISTRATION: '2' })));
  afterAll(() => idp?.close());

  const spellings = (path: string) => [
    path.toUpperCase(),
    path.replace(/\/(\w)/g, (_, c: string) => `/${c.toUpperCase()}`),
    path.replace(/(\w)$/, (c) => c.toUpperCase()),
  ];

  it('answers "page not found" for every route of ours with its letters in another case', async () => {
    const wrong: string[] = [];
    for (const route of idp.routes) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
      for (const spelled of spellings(path)) {
        if (spelled === path) continue;
        const res = await fetch(`${idp.issuer}${spelled}`, {
          method,
          redirect: 'manual',
          headers: method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
          body: method === 'GET' ? undefined : 'a=b',
        });
        await res.arrayBuffer();
        // 403: the pages' CSRF check, which stands in front of every page's POST, whatever its path (no token here).
        const expected = method === 'GET' ? [404] : [403, 404];
        if (!expected.includes(res.status)) wrong.push(`${method} ${spelled} → ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the staff pages behind the login however their path is written', async () => {
    for (const path of [
      '/admin',
      '/admin/',
      '/admin/audit',
      '/admin/audit/',
      '/admin/organisations',
      '/admin/organisations/',
      '/admin/users/00000000-0000-4000-8000-000000000000',
    ]) {
      const res = await fetch(`${idp.issuer}${path}`, { redirect: 'manual' });
      await res.arrayBuffer();
      expect([302, 303], path).toContain(res.status);
      expect(res.headers.get('location'), path).toMatch(/login/);
    }
  });

  it('counts a registration at /REG, /Reg/ and /reg/, with the scheme in any case, against the cap as at /reg', async () => {
    const statuses = [];
    for (const [path, scheme] of [
      ['/REG', 'Bearer'],
      ['/Reg/', 'bearer'],
      ['/reg/', 'BEARER'],
      ['/reg', 'bEaReR'],
    ] as const) {
      const res = await fetch(`${idp.url}${path}`, {
        method: 'POST',
        headers: { authorization: `${scheme} ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [`https://rp.example.be${path.toLowerCase()}`] }),
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
  });
});
