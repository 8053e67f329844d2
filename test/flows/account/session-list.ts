// What the session-list tests share: a provider (with the test's settings), Chromium, and a first-party portal at
// which Lena logs in from as many browsers as the test opens.
import type { Browser, Page } from 'playwright-core';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { authorize, discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';

const PASSWORD = 'correct horse battery staple';

export interface SessionListBench {
  idp: TestProvider;
  browser: Browser;
  /** Logs Lena in at the portal from `page`'s browser. */
  logIn(page: Page): ReturnType<typeof authorize>;
  close(): Promise<void>;
}

export async function startSessionListBench(env: Record<string, string> = {}): Promise<SessionListBench> {
  const [idp, browser, rp] = await Promise.all([startTestProvider('pglite', env), launchBrowser(), startCallbackServer()]);
  const { db, users, hasher } = idp.services;
  await users.create(db, { username: 'lena.maes', email: 'lena@example.be', emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
  const c = await createClient(idp.services.provider(), { name: 'Klantenportaal', redirectUris: [`${rp.url}/cb`], firstParty: true });
  const portal: client.Configuration = await discover(idp.issuer, c.client_id, c.client_secret);
  return {
    idp,
    browser,
    logIn: (page) => authorize(page, portal, { redirectUri: `${rp.url}/cb`, identifier: 'lena.maes', password: PASSWORD, scope: 'openid' }),
    async close() {
      await browser.close();
      await Promise.all([idp.close(), rp.close()]);
    },
  };
}
