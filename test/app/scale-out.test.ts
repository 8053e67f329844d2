// Two `idp start` processes on one PostgreSQL act as one provider behind a load balancer (a TCP proxy): a login on
// one, the code exchange on the other; a key rotated by the CLI is served by both after their refresh interval;
// a process killed in the middle of a login leaves the login to be finished on the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Browser } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { freshPostgresUrl } from '../helpers/db.ts';
import { freePort, runCli, spawnProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { authorize } from '../helpers/rp.ts';
import { startCallbackServer } from '../helpers/callback-server.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

describe.skipIf(!(has('postgres') && has('chromium')))('two provider processes on one PostgreSQL', () => {
  let env: Record<string, string>;
  let a: Awaited<ReturnType<typeof spawnProvider>>;
  let b: Awaited<ReturnType<typeof spawnProvider>>;
  let browser: Browser;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let clientId: string;
  let secret: string;
  let balancer: Awaited<ReturnType<typeof startTcpProxy>>;

  beforeAll(async () => {
    const portA = await freePort();
    balancer = await startTcpProxy({ host: '127.0.0.1', port: portA });
    // Both processes present the balancer's address as their public issuer.
    env = { DATABASE_URL: await freshPostgresUrl(), ISSUER: `http://127.0.0.1:${balancer.port}`, KEYS_REFRESH_SECONDS: '1', NODE_ENV: 'test' };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    [a, b] = await Promise.all([spawnProvider({ ...env, PORT: String(portA) }), spawnProvider(env)]);
    rp = await startCallbackServer();
    const created = await runCli(['clients', 'create', '--name', 'Portal', '--redirect-uri', `${rp.url}/cb`, '--first-party'], env);
    expect(created.code, created.stderr).toBe(0);
    clientId = /client_id: (\S+)/.exec(created.stdout)![1]!;
    secret = /client_secret: (\S+)/.exec(created.stdout)![1]!;
    const user = await runCli(['users', 'create', '--username', 'els.maes', '--email', 'els@example.be'], env, 'a long enough password\n');
    expect(user.code, user.stderr).toBe(0);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await rp?.close();
    await balancer?.close();
  });

  /** The relying app talks to process B for everything but the browser's pages, which process A serves. */
  async function configOn(url: string) {
    const discovered = await client.discovery(new URL(env.ISSUER!), clientId, secret, undefined, { execute: [client.allowInsecureRequests] });
    const { supportsPKCE: _, ...m } = discovered.serverMetadata();
    const config = new client.Configuration(
      { ...m, token_endpoint: `${url}/token`, userinfo_endpoint: `${url}/me`, jwks_uri: `${url}/jwks` },
      clientId,
      secret,
    );
    client.allowInsecureRequests(config);
    return config;
  }

  it('logs in on one process and exchanges the code on the other', async () => {
    const onB = await configOn(b.url);
    const page = await (await browser.newContext()).newPage();
    const res = await authorize(page, onB, { redirectUri: `${rp.url}/cb`, identifier: 'els.maes', password: 'a long enough password' });
    expect(new URL(page.url()).origin).toBe(rp.url);
    const tokens = await client.authorizationCodeGrant(onB, res.callback!, {
      pkceCodeVerifier: res.verifier,
      expectedState: res.state,
      expectedNonce: res.nonce,
    });
    const info = await client.fetchUserInfo(onB, tokens.access_token, tokens.claims()!.sub);
    expect(info.preferred_username).toBe('els.maes');
  });

  it('serves keys rotated through the CLI from both processes after the refresh interval', async () => {
    const before = (await (await fetch(`${b.url}/jwks`)).json()) as { keys: { kid: string }[] };
    const rotated = await runCli(['keys', 'rotate'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKids = /New signing keys: (.+)/.exec(rotated.stdout)![1]!.split(', ');
    await new Promise((r) => setTimeout(r, 2500));
    for (const p of [a, b]) {
      const kids = ((await (await fetch(`${p.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([...newKids, ...before.keys.map((k) => k.kid)]));
    }
    // New ID tokens are signed with a new key; they verify against either process's JWKS.
    const onB = await configOn(b.url);
    const page = await (await browser.newContext()).newPage();
    const res = await authorize(page, onB, { redirectUri: `${rp.url}/cb`, identifier: 'els@example.be', password: 'a long enough password' });
    const tokens = await client.authorizationCodeGrant(onB, res.callback!, {
      pkceCodeVerifier: res.verifier,
      expectedState: res.state,
      expectedNonce: res.nonce,
    });
    expect(newKids).toContain(decodeProtectedHeader(tokens.id_token!).kid);
    await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${a.url}/jwks`)), { issuer: env.ISSUER });
  });

  it('finishes a login on the other process when the first is killed in the middle of it', async () => {
    const onB = await configOn(b.url);
    const page = await (await browser.newContext()).newPage();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(onB, {
      redirect_uri: `${rp.url}/cb`,
      scope: 'openid',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await page.goto(url.href);
    expect(await page.locator('#password').count()).toBe(1);

    a.child.kill('SIGKILL');
    balancer.retarget({ host: '127.0.0.1', port: Number(new URL(b.url).port) });

    await page.fill('#identifier', 'els.maes');
    await page.fill('#password', 'a long enough password');
    await page.click('button[type=submit].primary');
    await page.waitForURL(`${rp.url}/cb**`);
    const tokens = await client.authorizationCodeGrant(onB, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.access_token).toBeTruthy();
  });
});
