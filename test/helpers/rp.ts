// A relying app built on openid-client, and a browser login through the provider's pages.
import * as client from 'openid-client';
import type { Page } from 'playwright-core';

export async function discover(issuer: string, clientId: string, secret?: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, secret, secret ? undefined : client.None(), { execute: [client.allowInsecureRequests] });
}

export interface LoginOptions {
  redirectUri: string;
  identifier?: string;
  password?: string;
  scope?: string;
  params?: Record<string, string>;
  /** Called on the consent page; default: allow. */
  onConsent?: (page: Page) => Promise<void>;
}

/** Starts an authorization request in `page`, logs in when asked, allows consent, and returns the callback URL. */
export async function authorize(page: Page, config: client.Configuration, o: LoginOptions) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: o.redirectUri,
    scope: o.scope ?? 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...o.params,
  });
  const arrived = () => page.url().startsWith(o.redirectUri);
  await page.goto(url.href);
  if (o.identifier !== undefined && (await page.locator('#identifier').count())) {
    await page.fill('#identifier', o.identifier);
    await page.fill('#password', o.password ?? '');
    await page.click('button[type=submit].primary');
  }
  await page.waitForLoadState('domcontentloaded');
  if (!arrived() && (await page.locator('form[action$="/confirm"]').count())) {
    if (o.onConsent) await o.onConsent(page);
    else await page.click('form[action$="/confirm"] button');
    await page.waitForLoadState('domcontentloaded');
  }
  const callback = arrived() ? new URL(page.url()) : undefined;
  return { callback, verifier, state, nonce };
}

/** authorize() then the code exchange. */
export async function login(page: Page, config: client.Configuration, o: LoginOptions) {
  const a = await authorize(page, config, o);
  if (!a.callback) throw new Error(`no callback; page shows: ${await page.locator('main').innerText()}`);
  const tokens = await client.authorizationCodeGrant(config, a.callback, {
    pkceCodeVerifier: a.verifier,
    expectedState: a.state,
    expectedNonce: a.nonce,
  });
  return { ...a, tokens };
}
