// A browser that opens the provider as http://localhost:PORT while ISSUER says http://127.0.0.1:PORT (or the other way
// round, as we did following the README) is sent to ISSUER's name before its cookies are set under the other one:
// before, its login ended on "authorization request has expired", the resume's cookies being under the other name.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';

const PASSWORD = 'a long enough password';

/** A GET to the provider's port with the Host and headers given, not followed. */
const get = (idp: TestProvider, path: string, headers: Record<string, string>) =>
  new Promise<{ status: number; location?: string }>((resolve, reject) => {
    const { port } = new URL(idp.url);
    http
      .get({ host: '127.0.0.1', port, path, headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      })
      .on('error', reject);
  });

describe('a browser on another loopback name than ISSUER', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      username: 'lotte.claes',
      email: 'lotte@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
  });
  afterAll(() => idp?.close());

  it.skipIf(!has('chromium'))('logs in when it opened the account pages as localhost', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${new URL(idp.url).port}/account`);
      await page.fill('input[name=identifier]', 'lotte.claes');
      await page.fill('input[name=password]', PASSWORD);
      await page.press('input[name=password]', 'Enter');
      await page.waitForURL(`${idp.issuer}/account`);
      expect(await page.locator('h1').innerText()).toBe('Your profile');
    } finally {
      await browser.close();
    }
  });

  it('sends only navigations, joined to ISSUER as text, and leaves probes and scripts alone', async () => {
    const { port } = new URL(idp.url);
    const navigate = { 'sec-fetch-mode': 'navigate' };
    expect(await get(idp, '/account?x=1', { host: `localhost:${port}`, ...navigate })).toEqual({ status: 308, location: `${idp.issuer}/account?x=1` });
    // A path that, resolved as a URL, would name another host.
    expect((await get(idp, '//elsewhere.example/x', { host: `localhost:${port}`, ...navigate })).location).toBe(`${idp.issuer}//elsewhere.example/x`);
    // A request target that is no path: no browser's navigation (it was a 500 on the URL built from it).
    expect((await get(idp, 'http://elsewhere.example/x', { host: `localhost:${port}`, ...navigate })).status).not.toBe(500);
    expect((await get(idp, '*', { host: `localhost:${port}`, ...navigate })).status).not.toBe(500);
    // curl, a probe, a script's fetch: as before.
    expect((await get(idp, '/healthz', { host: `localhost:${port}`, ...navigate })).status).toBe(200);
    expect((await get(idp, '/.well-known/openid-configuration', { host: `localhost:${port}` })).status).toBe(200);
    // A name that is not a loopback one (a proxy's) is not redirected.
    expect((await get(idp, '/account', { host: 'idp.internal:3000', ...navigate })).status).toBe(302);
  });
});
