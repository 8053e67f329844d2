// Everything the eID flows need, real and on loopback: a SoftHSM virtual eID (its own SOFTHSM2_CONF), the test
// PKI it was provisioned from as trust anchors, `openssl ocsp` answering for it at the certificate's AIA URL, the
// test Citizen CA published at the certificate's caIssuers URL, the provider with a real SMTP server and SMS
// gateway, and `eid-bridge serve` allowing the provider's origin.
import { X509Certificate } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { freePort, removeVirtualCards, startOcspResponder, startServe, virtualCard, type Daemon, type VirtualCard } from '../../card-bridge/helpers.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import type { OcspResponder } from '../../eid/ocsp-responder.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { nationalNumberHmac } from '../../../provider/eid/index.ts';
import { log } from '../../../provider/platform/log.ts';
import { captureOutput } from '../../helpers/output.ts';

export const PIN = '4711';
/** The virtual card's holder (`npm run test-cards`' default). */
export const NATIONAL_NUMBER = '85073100328';
export const CARD_NUMBER = '592123456789';
export const HMAC_KEY = 'a national number HMAC key for the eID flow tests';

export interface EidEnvironment {
  card: VirtualCard;
  idp: TestProvider;
  smtp: SmtpSink;
  sms: HttpSink;
  bridge: Daemon;
  ocsp: OcspResponder;
  /** Paths asked of the server that publishes the card's CA (the certificate's caIssuers address). */
  published: string[];
  /** Every line the provider logged during the suite, and what the bridge printed. */
  logs(): string[];
  /** The provider's settings, for a second process. */
  providerEnv: Record<string, string>;
  hmac: string;
  stop(): Promise<void>;
}

/** `cardArgs`: more `npm run test-cards` options for the virtual card, e.g. `--style opensc`. */
export async function startEidEnvironment(env: Record<string, string> = {}, cardArgs: string[] = []): Promise<EidEnvironment> {
  const logs: string[] = [];
  // Tests run with LOG_LEVEL=silent; here every line the provider would log is wanted, to be searched.
  const level = log.level;
  log.level = 'debug';
  const restore = [captureOutput(logs), () => (log.level = level)];

  const [ocspPort, publisherPort] = [await freePort(), await freePort()];
  const card = await virtualCard([
    ...cardArgs,
    '--pin',
    PIN,
    '--ocsp-url',
    `http://127.0.0.1:${ocspPort}`,
    '--ca-issuers-url',
    `http://127.0.0.1:${publisherPort}/citizen-ca.crt`,
  ]);
  const published: string[] = [];
  const citizenCa = new X509Certificate(readFileSync(join(card.pki, 'citizen-ca.pem'))).raw;
  const publisher = http.createServer((req, res) => {
    published.push(req.url ?? '');
    res
      .writeHead(req.url === '/citizen-ca.crt' ? 200 : 404, { 'content-type': 'application/pkix-cert' })
      .end(req.url === '/citizen-ca.crt' ? citizenCa : undefined);
  });
  await new Promise<void>((resolve) => publisher.listen(publisherPort, '127.0.0.1', resolve));
  // The provider trusts the test root alone, as a production folder may lack the CA that issued a card: the bridge
  // hands over the card's own copy of its CA certificate, and the card's certificate names where the CA is published;
  // either links the card to the root.
  const anchors = join(card.pki, 'root-only');
  mkdirSync(anchors, { recursive: true });
  copyFileSync(join(card.pki, 'root.pem'), join(anchors, 'root.pem'));
  const [ocsp, smtp, sms] = await Promise.all([startOcspResponder(card.pki, ocspPort), startSmtpSink(), startHttpSink()]);
  const bridgePort = await freePort();
  const providerEnv = {
    EID_BRIDGE_URL: `http://127.0.0.1:${bridgePort}`,
    SMTP_URL: smtp.url,
    SMS_GATEWAY_URL: `${sms.url}/sms`,
    OUTBOX_POLL_MS: '100',
    CAPTCHA: 'off',
    NATIONAL_NUMBER_HMAC_KEY: HMAC_KEY,
    EID_TRUST_ANCHORS: anchors,
    EID_CA_ISSUERS_HOSTS: '127.0.0.1',
    RATE_LIMIT_REACTIVATION: '100',
    ...env,
  };
  const idp = await startTestProvider('pglite', providerEnv);
  const localhostOrigin = idp.issuer.replace('127.0.0.1', 'localhost');
  const bridge = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: `${idp.issuer},${localhostOrigin}` }, ['--port', String(bridgePort)]);
  return {
    card,
    idp,
    smtp,
    sms,
    bridge,
    ocsp,
    published,
    logs: () => [...logs, bridge.output()],
    providerEnv,
    hmac: nationalNumberHmac(NATIONAL_NUMBER, HMAC_KEY),
    async stop() {
      await bridge.stop();
      await ocsp.stop();
      await new Promise<void>((resolve) => publisher.close(() => resolve()));
      await idp.close();
      await Promise.all([smtp.stop(), sms.stop()]);
      removeVirtualCards();
      for (const r of restore) r();
    },
  };
}

/** Has the card sign `nonce` for `origin` through the bridge's API, typing the PIN on its page as a person would. */
export async function signWithBridge(
  bridge: Daemon,
  origin: string,
  nonce: string,
): Promise<{ authToken: unknown; cardNumber: string; caCertificates: string[] }> {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, bridge.url), { ...init, headers: { origin, 'content-type': 'application/json', ...init.headers } });
  const op = (await (await api('/authenticate', { method: 'POST', body: JSON.stringify({ nonce }) })).json()) as { operationId: string; pinUrl: string };
  const page = await (await fetch(op.pinUrl)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  await fetch(op.pinUrl, {
    method: 'POST',
    headers: { origin: bridge.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, pin: PIN }),
  });
  const done = (await (await api(`/operations/${op.operationId}`)).json()) as {
    authToken: unknown;
    identity: { card: { cardNumber: string } };
    caCertificates: string[];
  };
  return { authToken: done.authToken, cardNumber: done.identity.card.cardNumber, caCertificates: done.caCertificates };
}

/** A fresh browser context (or `context`) logged in to the provider's own pages on the way to `path`. */
export async function signIn(browser: Browser | BrowserContext, issuer: string, username: string, password: string, path: string): Promise<Page> {
  const page = await ('newContext' in browser ? await browser.newContext({ locale: 'en-GB' }) : browser).newPage();
  await page.goto(`${issuer}${path}`);
  await page.fill('#identifier', username);
  await page.fill('#password', password);
  await page.click('button[type=submit].primary');
  await page.waitForURL(`${issuer}${path}`);
  return page;
}

/** Ticks the consent, reads the card, types the PIN in the bridge's window, and waits for the provider's next page. */
export async function readCardOnPage(page: Page, issuer: string, consent = true): Promise<void> {
  await page.waitForSelector('[data-eid-start]:not([disabled])');
  if (consent) await page.check('#consent');
  const [popup] = await Promise.all([page.context().waitForEvent('page'), page.click('[data-eid-start]')]);
  await popup.waitForLoadState('domcontentloaded');
  expect(await popup.locator('#asking-host').innerText()).toBe(new URL(issuer).host);
  expect(await popup.locator('#asking-origin').innerText()).toBe(issuer);
  await popup.fill('#pin', PIN);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(issuer), { timeout: 20_000 });
  await popup.click('button[type=submit]');
  await posted;
  await page.waitForLoadState('domcontentloaded');
}
