// The README's first login: the example app (`npm run example-app`, examples/relying-party.ts) with a client made as
// the README says, a person logging in from its page in Chromium, and the app showing who she is.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { freePort } from '../helpers/ports.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const APP = fileURLToPath(new URL('../../examples/relying-party.ts', import.meta.url));
const PASSWORD = 'correct horse battery staple';

describe.skipIf(!has('chromium'))('the example relying app', () => {
  let idp: TestProvider;
  let app: ChildProcess;
  let appUrl: string;
  let browser: Browser;

  /** The app with `env`, once it says where it listens; everything it printed, if it stops first. */
  async function startApp(env: Record<string, string>): Promise<{ child: ChildProcess; output: Promise<string> }> {
    const child = spawn(process.execPath, [APP], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let printed = '';
    const output = new Promise<string>((resolve) => child.once('exit', () => resolve(printed)));
    await new Promise<void>((resolve) => {
      const read = (chunk: Buffer) => {
        printed += chunk.toString();
        if (printed.includes('Example app on')) resolve();
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', () => resolve());
    });
    return { child, output };
  }

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'alice', email: 'alice@example.org', emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    const port = await freePort();
    appUrl = `http://localhost:${port}`;
    const made = await createClient(idp.services.provider(), { name: 'Example app', redirectUris: [`${appUrl}/callback`], firstParty: true });
    ({ child: app } = await startApp({ CLIENT_ID: made.client_id, CLIENT_SECRET: made.client_secret!, ISSUER: idp.issuer, EXAMPLE_PORT: String(port) }));
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    app?.kill();
    await idp?.close();
  });

  it('logs a person in through the provider and shows who she is', async () => {
    const page = await browser.newPage();
    await page.goto(appUrl);
    await page.click('text=Log in');
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page.fill('#identifier', 'alice');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL((u) => u.href.startsWith(`${appUrl}/callback`));
    expect(await page.locator('#who').innerText()).toBe('Logged in as alice');
    expect(await page.locator('pre').last().innerText()).toContain('"email": "alice@example.org"');
    // Not a dead end: her own pages at the provider, and a way out.
    expect(await page.locator('#onward a').allInnerTexts()).toEqual(['Your account at the provider', 'Log out']);
    expect(await page.locator('#onward a').first().getAttribute('href')).toBe(`${idp.issuer}/account`);
    await page.click('#onward >> text=Log out');
    await page.click('text=Yes, log me out');
    await page.waitForURL(`${idp.issuer}/session/end/success`);
    expect(await page.locator('h1').innerText()).toBe('You are logged out');
  });

  it('names a person who has no username by her name', async () => {
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      email: 'eva@example.org',
      emailVerified: true,
      givenName: 'Eva',
      familyName: 'Peeters',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    const page = await (await browser.newContext()).newPage();
    await page.goto(appUrl);
    await page.click('text=Log in');
    await page.fill('#identifier', 'eva@example.org');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL((u) => u.href.startsWith(`${appUrl}/callback`));
    expect(await page.locator('#who').innerText()).toBe('Logged in as Eva Peeters');
  });

  it('says to start the provider first when it cannot reach it, not a stack trace', async () => {
    const issuer = `http://localhost:${await freePort()}`;
    const { output } = await startApp({ CLIENT_ID: 'some-app', ISSUER: issuer, EXAMPLE_PORT: String(await freePort()) });
    const printed = await output;
    expect(printed).toContain(`Cannot reach the provider at ${issuer} (connect ECONNREFUSED`);
    expect(printed).toContain('Start it first (npm start, in another terminal)');
    expect(printed).not.toMatch(/\n\s+at /);
  });

  it('says what to set when it has no client_id', async () => {
    const { output } = await startApp({ CLIENT_ID: '', EXAMPLE_PORT: String(await freePort()) });
    expect(await output).toContain('Set CLIENT_ID (and CLIENT_SECRET for a confidential app) to what this printed:');
  });
});
