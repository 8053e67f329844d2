// A website that asks the bridge and never opens the bridge's page (renewing its own request at will) would keep the
// card from every other site (attack pass, finding 4). An operation whose page nobody opened gives way after a grace;
// one whose page is open in a tab keeps the card until it ends. A hidden frame of the page is not a tab: the page
// refuses to be framed, but the frame's request reaches the bridge all the same (a later attack pass).
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeModule, loadModule, type Pkcs11Module } from '../../card-bridge/pkcs11/module.ts';
import { startDaemon, type Daemon } from '../../card-bridge/daemon/server.ts';
import { has } from '../helpers/components.ts';
import { randomNonce, removeVirtualCards, SOFTHSM_MODULE, virtualCard } from './helpers.ts';

const SITE = 'https://idp.example.be';
const HOLDER = 'https://holder.example';
const GRACE_MS = 300;

describe.skipIf(!has('softhsm'))('an operation whose page was never opened', () => {
  let module: Pkcs11Module;
  let daemon: Daemon;
  beforeAll(async () => {
    process.env.SOFTHSM2_CONF = (await virtualCard(undefined)).conf;
    module = loadModule(SOFTHSM_MODULE);
    daemon = await startDaemon({ port: 0, allowedOrigins: [SITE, HOLDER], operationTimeoutSeconds: 60, unopenedMs: GRACE_MS, module, log: () => {} });
  });
  afterAll(async () => {
    await daemon?.close();
    if (module) closeModule(module);
    removeVirtualCards();
  });

  const call = (path: string, origin: string, init: RequestInit = {}) =>
    fetch(new URL(path, daemon.url), { ...init, headers: { origin, 'content-type': 'application/json' } });
  const start = (origin: string) => call('/authenticate', origin, { method: 'POST', body: JSON.stringify({ nonce: randomNonce() }) });
  const after = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A GET with the Sec-Fetch headers a browser sends (fetch() may not set them). */
  const open = (url: string, mode: 'navigate' | 'no-cors', dest: 'document' | 'iframe' | 'empty') =>
    new Promise<number>((resolve, reject) =>
      get(url, { headers: { 'sec-fetch-mode': mode, 'sec-fetch-dest': dest } }, (res) => resolve(res.resume().statusCode!)).on('error', reject),
    );

  it('gives the card to another site after the grace; a page open in a tab keeps it', async () => {
    const held = await (await start(HOLDER)).json();
    expect((await start(SITE)).status).toBe(409);
    // The holding site fetches its own page from a script, and loads it in a hidden frame: nobody sees either, so
    // neither counts as opened.
    expect(await open(held.pinUrl, 'no-cors', 'empty')).toBe(200);
    expect(await open(held.pinUrl, 'navigate', 'iframe')).toBe(200);
    await after(GRACE_MS + 100);
    const site = await start(SITE);
    expect(site.status).toBe(202);
    expect(await (await call(`/operations/${held.operationId}`, HOLDER)).json()).toMatchObject({ state: 'failed', error: 'cancelled' });

    // The person opened the site's page (a navigation): the operation keeps the card past the grace.
    const op = await site.json();
    expect(await open(op.pinUrl, 'navigate', 'document')).toBe(200);
    await after(GRACE_MS + 100);
    const refused = await start(HOLDER);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toBe('busy');
    expect((await call(`/operations/${op.operationId}`, SITE, { method: 'DELETE' })).status).toBe(204);
  });
});
