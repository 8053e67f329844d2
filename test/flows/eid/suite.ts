// The set-up the eID browser suites share (./eid-flows.test.ts, test/flows/reactivation/eid.test.ts): the eID
// environment (./environment.ts), Chromium, a first-party portal, and Ann, an active account with a verified mobile
// number and no card yet; with the steps both take in a browser. Call it inside the suite's describe: the fields
// are set by its beforeAll.
import { afterAll, beforeAll, expect } from 'vitest';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../../helpers/browser.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { NATIONAL_NUMBER, readCardOnPage, signIn, startEidEnvironment, type EidEnvironment } from './environment.ts';

/** Ann's password when the suite starts. */
export const OLD = 'the old passphrase of ann';
/** Ann's verified mobile number. */
export const MOBILE = '+32470123456';

export interface EidSuite {
  e: EidEnvironment;
  browser: Browser;
  rp: Awaited<ReturnType<typeof startCallbackServer>>;
  portal: client.Configuration;
  ann: User;
  freshPage(): Promise<Page>;
  /** A new browser logged in as `username` on the way to `path`. */
  signedIn(username: string, password: string, path: string): Promise<Page>;
  readCard(page: Page, consent?: boolean): Promise<void>;
  /** The portal's authorization request (PKCE) in `page`; the function returned exchanges the code the callback gets. */
  authorize(page: Page, params?: Record<string, string>): Promise<() => Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers>>;
  /** "Log in with eID" on the login page. */
  chooseEid(page: Page): Promise<void>;
  /** No table and no log line of the suite holds the card's national number in clear. */
  expectNationalNumberNowhere(): Promise<void>;
}

export function eidSuite(env: Record<string, string> = {}): EidSuite {
  const s = {
    freshPage: async () => (await s.browser.newContext({ locale: 'en-GB' })).newPage(),
    signedIn: (username, password, path) => signIn(s.browser, s.e.idp.issuer, username, password, path),
    readCard: (page, consent = true) => readCardOnPage(page, s.e.idp.issuer, consent),

    async authorize(page, params = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(s.portal, {
        redirect_uri: `${s.rp.url}/cb`,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...params,
      });
      await page.goto(url.href);
      return async () => {
        await page.waitForURL((u) => u.href.startsWith(`${s.rp.url}/cb`));
        return client.authorizationCodeGrant(s.portal, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
      };
    },

    async chooseEid(page) {
      await page.click('text=Log in with eID');
      await page.waitForLoadState('domcontentloaded');
      expect(await page.locator('h1').innerText()).toBe('Log in with your eID card');
    },

    async expectNationalNumberNowhere() {
      const { db } = s.e.idp.services;
      const tables = (await db.raw("select tablename from pg_tables where schemaname = 'public'")).rows.map((r: { tablename: string }) => r.tablename);
      expect(tables).toContain('eid_links');
      for (const table of tables) {
        const dump = JSON.stringify(await db(table).select());
        expect(dump.includes(NATIONAL_NUMBER), `table ${table}`).toBe(false);
        expect(dump.includes('85.07.31-003.28'), `table ${table}`).toBe(false);
      }
      expect(s.e.logs().join('\n')).toContain('listening on');
      expect(s.e.logs().filter((l) => l.includes(NATIONAL_NUMBER))).toEqual([]);
    },
  } as EidSuite;

  beforeAll(async () => {
    [s.e, s.browser, s.rp] = await Promise.all([startEidEnvironment(env), launchBrowser(), startCallbackServer()]);
    const { db, users, hasher } = s.e.idp.services;
    s.ann = await users.create(db, {
      username: 'ann.peeters',
      email: 'ann@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(OLD),
      status: 'active',
      locale: 'en',
    });
    await db('users').where({ id: s.ann.id }).update({ phone_number: MOBILE, phone_number_verified: true });
    const c = await createClient(s.e.idp.services.provider(), {
      name: 'Citizen portal',
      redirectUris: [`${s.rp.url}/cb`],
      firstParty: true,
      grants: ['authorization_code', 'refresh_token'],
    });
    s.portal = await discover(s.e.idp.issuer, c.client_id, c.client_secret);
  }, 60_000);

  afterAll(async () => {
    await s.browser?.close();
    await s.rp?.close();
    await s.e?.stop();
  });

  return s;
}
