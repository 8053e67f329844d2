// Reactivation with the eID card (provider/flows/reactivation), end to end on loopback: the eID environment of
// test/flows/eid (a SoftHSM virtual eID, `eid-bridge`, `openssl ocsp`, real SMTP and SMS sinks) and Chromium. From a
// terminal (`eid-bridge activate`, flows/reactivation/api.ts) and in the browser (flows/reactivation/routes.ts):
// the token, the SMS code, the new password, each refusal with its own message; a flow opened in another browser
// refused; and at the end no table or log line holds the national number in clear. The tests run in order: Ann's
// card is linked after the first, and each later one starts where the one before left her account.
import { beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { login } from '../../helpers/rp.ts';
import { freePort, runCli } from '../../card-bridge/helpers.ts';
import { startTestProvider } from '../../helpers/provider.ts';
import { createTestEidPki } from '../../../tools/test-cards/test-pki.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { CARD_NUMBER, signWithBridge, type EidEnvironment } from '../eid/environment.ts';
import { eidSuite, MOBILE, OLD, type EidSuite } from '../eid/suite.ts';

const NEW = 'a fresh passphrase after reactivation';
const THIRD = 'yet another passphrase, chosen on a new phone';

describe.skipIf(!has('softhsm') || !has('chromium') || !has('openssl'))('reactivation with the eID card', () => {
  const suite = eidSuite({ EID_REGISTRATION: 'true' });
  const { freshPage, signedIn, readCard, authorize, chooseEid } = suite;
  let e: EidEnvironment;
  let rp: EidSuite['rp'];
  let portal: client.Configuration;
  let ann: User;
  beforeAll(() => void ({ e, rp, portal, ann } = suite));

  const activate = (mobile = '0470 12 34 56', provider = e.idp.issuer) =>
    runCli(['activate', '--provider', provider, '--mobile', mobile], e.card.env, `4711\n`);
  const tokenOf = (stdout: string) => /Activation code: (\w{6})/.exec(stdout)?.[1];
  const api = (path: string, body: unknown, provider = e.idp.issuer) =>
    fetch(`${provider}/eid/reactivation/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-language': 'en' },
      body: JSON.stringify(body),
    });

  /** The last step of a reactivation: the new password twice, and the account active again. */
  async function choosePassword(page: Page, password: string) {
    await page.fill('#password', password);
    await page.fill('#confirm', password);
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Your account is active again');
    // What the reactivation took away with the intruder's ways in is said, so that the owner adds hers again.
    expect(await page.locator('main').innerText()).toContain('its passkeys, authenticator app and linked identities (your bank, a government login) removed');
    // A passkey is offered as the way back in next time, after a login; the plain login skips it.
    expect(await page.getAttribute('a:has-text("Add a passkey")', 'href')).toMatch(/^\/self\/login\?return_to=%2Faccount%2Fpasskeys%2Fnew&/);
    expect(await axeViolations(page)).toEqual([]);
    // A reload shows the same page, not the finished step's refusal.
    await page.reload();
    expect(await page.locator('h1').innerText()).toBe('Your account is active again');
  }

  /** The SMS code texted to `mobile` after the token, typed on `page`; the password page follows. */
  async function confirmSms(page: Page, mobile: string) {
    expect(await page.locator('h1').innerText()).toBe('Confirm your mobile number');
    const sms = await e.sms.waitFor(
      (r) =>
        (r.json as { to?: string })?.to === mobile &&
        /is your one-time verification code to reactivate your account, .+ No one from our service will ever ask you for it\./.test(
          (r.json as { text: string }).text,
        ),
    );
    e.sms.clear();
    await page.fill('#code', /\b(\d{6})\b/.exec((sms.json as { text: string }).text)![1]!);
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Choose a new password');
  }

  async function enterToken(page: Page, mobile: string, token: string) {
    await page.goto(`${e.idp.issuer}/reactivation/token`);
    await page.fill('#mobile', mobile);
    await page.fill('#token', token);
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
  }

  it('tells a card linked to no account that no account was found, and how to register (terminal)', async () => {
    const result = await activate();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'The provider refused (404): No account is linked to this eID card. If you have an account, log in (with a new password if you forgot yours) and link your card on your account page',
    );
    expect(result.stdout).toBe('');
    expect(await e.idp.db('one_time_tokens').where({ purpose: 'activation_token' })).toHaveLength(0);
  });

  describe('reactivation from the terminal (eid-bridge activate)', () => {
    // Ann links her card on /eid/link (test/flows/eid/eid-flows.test.ts): every reactivation below reads it.
    beforeAll(async () => readCard(await signedIn('ann.peeters', OLD, '/eid/link')), 60_000);

    it('reactivates a blocked account: token from the CLI, then mobile + token + new password in another browser', async () => {
      const { db } = e.idp.services;
      // Ann's card is linked (beforeAll above); a relying app holds her refresh token; then her account was blocked.
      const before = await login(await freshPage(), portal, {
        redirectUri: `${rp.url}/cb`,
        identifier: 'ann.peeters',
        password: OLD,
        scope: 'openid offline_access',
        params: { prompt: 'consent' },
      });
      expect(before.tokens.refresh_token).toBeTruthy();
      await db('users').where({ id: ann.id }).update({ status: 'blocked' });

      const result = await activate();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Card number: 592-1234567-89\nActivation code: [0-9A-HJKMNP-TV-Z]{6}\n$/);
      const token = tokenOf(result.stdout)!;

      const page = await freshPage();
      await enterToken(page, '0470/12.34.56', token.toLowerCase());
      // Her own number too is proven by its SMS code: whoever holds the token must also hold the phone.
      await confirmSms(page, MOBILE);
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('main').innerText()).toContain('For the user ann.peeters.');
      await choosePassword(page, NEW);

      expect((await e.idp.services.users.findById(db, ann.id))!.status).toBe('active');
      expect(await db('eid_links').where({ user_id: ann.id }).first()).toMatchObject({ card_number: CARD_NUMBER });
      const mail = await e.smtp.waitFor((m) => m.to.includes('ann@example.be') && m.subject === 'Your account was reactivated');
      expect(mail.text).toContain('The account ann.peeters was reactivated with its eID card on');
      expect(mail.text).toContain('It was not me: lock my account');
      expect(mail.text).toMatch(new RegExp(`${e.idp.issuer}/reactivation/report/[\\w-]{43}`));
      const sms = await e.sms.waitFor((r) => (r.json as { to?: string })?.to === MOBILE);
      // The number replaced may be someone else's by now: the SMS does not name the account.
      expect((sms.json as { text: string }).text).toMatch(
        /^Identity: your account was reactivated with an eID card on .+\. Not you\? Contact our helpdesk at once\.$/,
      );
      expect((sms.json as { text: string }).text).not.toContain('ann.peeters');
      // Every earlier session and refresh token is gone; the new password logs in.
      await expect(client.refreshTokenGrant(portal, before.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const after = await login(await freshPage(), portal, { redirectUri: `${rp.url}/cb`, identifier: 'ann.peeters', password: NEW });
      expect(after.tokens.claims()!.sub).toBe(ann.sub);
      // The token was spent.
      await enterToken(page, MOBILE, token);
      expect(await page.locator('h1').innerText()).toBe('This activation code was already used');
      expect(await axeViolations(page)).toEqual([]);
    }, 60_000);

    it("stops a requester after 5 wrong tokens for a number, without voiding the owner's token", async () => {
      const token = tokenOf((await activate()).stdout)!;
      const wrong = token.startsWith('0') ? `1${token.slice(1)}` : `0${token.slice(1)}`;
      const page = await freshPage();
      for (const left of [4, 3, 2, 1, 0]) {
        await enterToken(page, MOBILE, wrong);
        expect(await page.locator('#token-error').innerText()).toBe(
          `This activation code is not right for this mobile number. Check both. Tries left this hour: ${left}.`,
        );
      }
      await enterToken(page, MOBILE, token);
      expect(await page.locator('#token-error').innerText()).toBe('Too many wrong activation codes were typed for this mobile number. Try again in 1 hour.');
      expect(await axeViolations(page)).toEqual([]);
      // The token itself is untouched: the owner, from her own connection, can still use it.
      expect(await e.idp.db('one_time_tokens').where({ purpose: 'activation_token' }).whereNull('voided_at').whereNull('consumed_at')).toHaveLength(1);
      await e.idp.db('rate_limits').where('key', 'like', 'activation_wrong%').delete();
      await enterToken(page, MOBILE, token);
      expect(await page.locator('h1').innerText()).toBe('Confirm your mobile number');
    }, 60_000);

    it('refuses an expired token, and a token typed with another mobile number', async () => {
      const token = tokenOf((await activate()).stdout)!;
      const page = await freshPage();
      // The same answer as a wrong token: nobody learns whether a token waits for a number.
      await enterToken(page, '+32470999888', token);
      expect(await page.locator('#token-error').innerText()).toBe(
        'This activation code is not right for this mobile number. Check both. Tries left this hour: 4.',
      );
      await e.idp
        .db('one_time_tokens')
        .where({ purpose: 'activation_token' })
        .update({ expires_at: new Date(Date.now() - 1000) });
      await enterToken(page, MOBILE, token);
      expect(await page.locator('h1').innerText()).toBe('This activation code has expired');
      expect(await axeViolations(page)).toEqual([]);
    }, 60_000);

    const start = async () => (await (await api('nonce', { mobile: MOBILE })).json()) as { flowId: string; flowSecret: string; nonce: string };

    it("links the card to the trusted root through the card's own CA copy or the CA its certificate names, and refuses a card with neither or with a CA no root signed", async () => {
      /** The card signs for `origin`, the provider at `url` checks it, with no CA, the card's own copy, or another. */
      const answer = async ({ url, origin }: { url: string; origin: string }, ca: 'none' | 'card' | string[]) => {
        const flow = (await (await api('nonce', { mobile: MOBILE }, url)).json()) as { flowId: string; flowSecret: string; nonce: string };
        const signed = await signWithBridge(e.bridge, origin, flow.nonce);
        const caCertificates = ca === 'card' ? signed.caCertificates : ca === 'none' ? undefined : ca;
        return api(
          'token',
          {
            flowId: flow.flowId,
            flowSecret: flow.flowSecret,
            authToken: signed.authToken,
            cardNumber: signed.cardNumber,
            ...(caCertificates ? { caCertificates } : {}),
          },
          url,
        );
      };
      // What the Web eID browser extension sends: the card's certificate alone. A process that has not seen this card
      // yet (this file's provider keeps its path from the tests before) fetches its CA where the certificate says it
      // is published, once; the fetched copy is kept. It is known by the other origin the bridge allows.
      const origin = e.idp.issuer.replace('127.0.0.1', 'localhost');
      const fetching = await startTestProvider('pglite', { ...e.providerEnv, ISSUER: origin }, { db: e.idp.db, databaseUrl: undefined });
      try {
        e.published.length = 0;
        for (let i = 0; i < 2; i++) expect((await answer({ url: fetching.issuer, origin }, 'none')).status).toBe(200);
        expect(e.published).toEqual(['/citizen-ca.crt']);
      } finally {
        await fetching.close();
      }

      // A second process on the same database that may fetch nothing (EID_CA_ISSUERS_HOSTS=none).
      const started = await startTestProvider(
        'pglite',
        { ...e.providerEnv, EID_CA_ISSUERS_HOSTS: 'none', ISSUER: origin },
        { db: e.idp.db, databaseUrl: undefined },
      );
      const closed = { url: started.issuer, origin };
      try {
        const before = await e.idp.db('one_time_tokens').count({ n: '*' });
        const untrusted = { error: 'certificate_untrusted', message: 'Your card was not issued by an authority this site trusts. Use a Belgian eID card.' };
        const bare = await answer(closed, 'none');
        expect([bare.status, await bare.json()]).toEqual([401, untrusted]);
        // A CA of the same name from another PKI: the provider does not take the bridge's word for it.
        const impostor = await createTestEidPki('ec-p384');
        const forged = await answer(closed, [Buffer.from(impostor.citizenCa.cert.rawData).toString('base64')]);
        expect([forged.status, await forged.json()]).toEqual([401, untrusted]);
        expect(await e.idp.db('one_time_tokens').count({ n: '*' })).toEqual(before);
        // The card's own copy, which the bridge sends, links it without any fetch.
        expect((await answer(closed, 'card')).status).toBe(200);
        expect(e.published).toEqual(['/citizen-ca.crt']);
      } finally {
        await started.close();
      }

      const flow = await start();
      const signed = await signWithBridge(e.bridge, e.idp.issuer, flow.nonce);
      expect(signed.caCertificates).toHaveLength(1);
      // Malformed certificates are refused before anything is checked: the request stays usable.
      for (const caCertificates of ['not a list', ['not base64!'], [signed.caCertificates[0], signed.caCertificates[0], signed.caCertificates[0]]]) {
        const bad = await api('token', { flowId: flow.flowId, flowSecret: flow.flowSecret, ...signed, caCertificates });
        expect(bad.status).toBe(400);
      }
      const ok = await api('token', { flowId: flow.flowId, flowSecret: flow.flowSecret, ...signed });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ cardNumber: '592-1234567-89', activationToken: expect.stringMatching(/^\w{6}$/) });
    }, 60_000);

    it('refuses a replayed nonce, a signature for another origin, and an OCSP responder that is down', async () => {
      const first = await start();
      expect(Buffer.from(first.nonce, 'base64')).toHaveLength(32);
      const signed = await signWithBridge(e.bridge, e.idp.issuer, first.nonce);
      const ok = await api('token', { flowId: first.flowId, flowSecret: first.flowSecret, ...signed });
      expect(ok.status).toBe(200);
      const replay = await api('token', { flowId: first.flowId, flowSecret: first.flowSecret, ...signed });
      expect(replay.status).toBe(409);
      expect(await replay.json()).toEqual({
        error: 'nonce_used',
        message: 'This eID request was already used. Each request works once: start again from the page.',
      });

      // `activate --provider http://localhost:…` makes the card sign for that origin: not this site's.
      const foreign = await activate(MOBILE, e.idp.issuer.replace('127.0.0.1', 'localhost'));
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toContain("The provider refused (401): Your card's signature does not match this request.");

      // A second process on the same database asks a responder that is down (EID_OCSP_RESPONDER_URL): fail-closed.
      const elsewhere = await startTestProvider(
        'pglite',
        { ...e.providerEnv, EID_OCSP_RESPONDER_URL: `http://127.0.0.1:${await freePort()}` },
        { db: e.idp.db, databaseUrl: undefined },
      );
      try {
        const before = await e.idp.db('one_time_tokens').count({ n: '*' });
        const down = await activate(MOBILE, elsewhere.issuer);
        expect(down.code).toBe(1);
        expect(down.stderr).toContain('The provider refused (503): We could not reach the Belgian eID certificate service to check your card.');
        expect(await e.idp.db('one_time_tokens').count({ n: '*' })).toEqual(before);
      } finally {
        await elsewhere.close();
      }
    }, 60_000);
  });

  it('refuses to reactivate an account that staff locked, says so, and issues no token', async () => {
    const { db } = e.idp.services;
    const { status } = (await db('users').where({ id: ann.id }).first('status'))!;
    await db('users').where({ id: ann.id }).update({ status: 'locked' });
    try {
      const before = await db('one_time_tokens').where({ purpose: 'activation_token' }).count({ n: '*' });
      const cli = await activate(MOBILE);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(
        'The provider refused (403): The account of this card was locked by the service desk, so it cannot be reactivated with the card.',
      );
      expect(await db('one_time_tokens').where({ purpose: 'activation_token' }).count({ n: '*' })).toEqual(before);

      const page = await freshPage();
      await page.goto(`${e.idp.issuer}/reactivation`);
      await page.fill('#mobile', MOBILE);
      await page.click('button[type=submit].primary');
      await page.waitForLoadState('domcontentloaded');
      await readCard(page);
      expect(await page.locator('h1').innerText()).toBe('Your account is locked');
      expect(await page.locator('main').innerText()).toContain('Contact the service desk to unlock it.');
      expect(await page.locator('main a[href="/reactivation"]').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);

      // An eID login tells the same, with no way to reactivate.
      await authorize(page);
      await chooseEid(page);
      await readCard(page, false);
      expect(await page.locator('main').innerText()).toContain('Your account is locked by the service desk. Contact them to unlock it.');
      expect(await page.locator('main a[href="/reactivation"]').count()).toBe(0);
      expect(await db('audit_log').where({ event: 'reactivation.refused_locked', user_id: ann.id })).toHaveLength(2);
    } finally {
      await db('users').where({ id: ann.id }).update({ status });
    }
  }, 90_000);

  it('reactivates in the browser: login page, mobile + consent + PIN, card number, token; a new number proven by SMS', async () => {
    const { db } = e.idp.services;
    const page = await freshPage();
    await authorize(page);
    await page.click('text=Reactivate my account');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Reactivate your account with your eID card');
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#mobile', '0470 55 56 66');
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Read your eID card');
    expect(await axeViolations(page)).toEqual([]);
    await readCard(page);
    expect(await page.locator('h1').innerText()).toBe('Is this your card?');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.locator('#card-number').innerText()).toBe('592-1234567-89');
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Your activation code');
    expect(await axeViolations(page)).toEqual([]);
    const token = await page.locator('#activation-token').innerText();
    expect(token).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/);
    // The computer with the card may be the device to reactivate: its way on, without going back to the login.
    expect(await page.getByRole('link', { name: 'Continue on this computer' }).getAttribute('href')).toBe('/reactivation/token');
    expect(await db('eid_consents').where({ user_id: ann.id, purpose: 'reactivation' })).not.toHaveLength(0);

    // The device being reactivated: another browser context. The new number is not the account's until its SMS code.
    const device = await freshPage();
    await enterToken(device, '+32 470 55 56 66', token);
    expect(await device.locator('h1').innerText()).toBe('Confirm your mobile number');
    expect(await axeViolations(device)).toEqual([]);
    expect((await e.idp.services.users.findById(db, ann.id))!.phone_number).toBe(MOBILE);
    const sms = await e.sms.waitFor((r) => (r.json as { to?: string })?.to === '+32470555666');
    const code = /\b(\d{6})\b/.exec((sms.json as { text: string }).text)![1]!;
    await device.fill('#code', code);
    await device.click('button[type=submit].primary');
    await device.waitForLoadState('domcontentloaded');
    expect(await device.locator('h1').innerText()).toBe('Choose a new password');
    expect(await axeViolations(device)).toEqual([]);
    await choosePassword(device, THIRD);
    expect((await e.idp.services.users.findById(db, ann.id))!).toMatchObject({ phone_number: '+32470555666', phone_number_verified: true, status: 'active' });
    // The reactivation's mail tells the new number; the account pages' "Your mobile number was changed" is not sent too.
    const subjects = (await db('outbox').where({ user_id: ann.id, channel: 'email' }).select('subject')).map((r: { subject: string }) => r.subject);
    expect(subjects).toContain('Your account was reactivated');
    expect(subjects).not.toContain('Your mobile number was changed');
  }, 90_000);

  it("refuses a reactivation flow opened in another browser: the victim's card and PIN cannot earn the attacker her token", async () => {
    const { db } = e.idp.services;
    const before = await db('one_time_tokens').where({ purpose: 'activation_token' }).count({ n: '*' });
    const refusedHere = async (page: Page, path: string) => {
      const response = await page.goto(`${e.idp.issuer}${path}`);
      expect(response!.status()).toBe(403);
      expect(await page.locator('main').innerText()).toContain('If someone sent you this link, do not continue and do not enter your PIN or any code');
      // No card step is offered: the bridge is never asked, the PIN never typed.
      expect(await page.locator('[data-eid-start]').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
    };

    // 1. A flow the attacker started from the terminal API with his own number: its id sent to the victim.
    const terminal = (await (await api('nonce', { mobile: '+32499123456' })).json()) as { flowId: string; flowSecret: string; nonce: string };
    await refusedHere(await freshPage(), `/reactivation/${terminal.flowId}/card`);
    // The pages never take an API flow, not even in the attacker's own browser.
    await refusedHere(await freshPage(), `/reactivation/${terminal.flowId}/confirm`);
    // Without its secret the terminal flow takes no card answer either, though the card signed its nonce.
    const signed = await signWithBridge(e.bridge, e.idp.issuer, terminal.nonce);
    const stolen = await fetch(`${e.idp.issuer}/eid/reactivation/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'en' },
      body: JSON.stringify({ flowId: terminal.flowId, flowSecret: 'x'.repeat(43), ...signed }),
    });
    expect(stolen.status).toBe(403);
    expect(((await stolen.json()) as { error: string }).error).toBe('flow_elsewhere');

    // 2. A flow the attacker started on the page with his number: the card page's address sent to the victim.
    const attacker = await freshPage();
    await attacker.goto(`${e.idp.issuer}/reactivation`);
    await attacker.fill('#mobile', '0499 12 34 56');
    await attacker.click('button[type=submit].primary');
    await attacker.waitForURL(`${e.idp.issuer}/reactivation/*/card`);
    const flowId = /\/reactivation\/([^/]+)\/card/.exec(attacker.url())![1]!;
    const victim = await freshPage();
    await refusedHere(victim, `/reactivation/${flowId}/card`);
    // Even a card answer posted from her browser for that flow is refused before the card is checked.
    await victim.goto(`${e.idp.issuer}/reactivation`);
    const form = {
      _csrf: await victim.locator('input[name=_csrf]').first().inputValue(),
      consent: 'yes',
      flow: flowId,
      authToken: JSON.stringify(signed.authToken),
      cardNumber: CARD_NUMBER,
    };
    const posted = await victim.context().request.post(`${e.idp.issuer}/reactivation/${flowId}/card`, { form, maxRedirects: 0 });
    expect(posted.status()).toBe(403);
    // The attacker, polling his flow, finds nothing to confirm and no token.
    const confirm = await attacker.goto(`${e.idp.issuer}/reactivation/${flowId}/confirm`);
    expect(confirm!.status()).toBe(409);
    expect(await db('one_time_tokens').where({ purpose: 'activation_token' }).count({ n: '*' })).toEqual(before);
    // Staff see that each flow reached another reader, once per flow (the API flow was opened three times elsewhere,
    // the page flow twice): a row for every request would let anyone with an id fill the audit log.
    const audited: { flow: string }[] = await db('audit_log')
      .where({ event: 'flow.opened_elsewhere' })
      .whereRaw("details->>'flow' in (?, ?)", [terminal.flowId, flowId])
      .select(db.raw("details->>'flow' as flow"));
    expect(audited.map((a) => a.flow).sort()).toEqual([terminal.flowId, flowId].sort());
  }, 90_000);

  it('takes only JSON from no page or its own origin on the terminal endpoints, so a cross-site page cannot start flows for a number', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${e.idp.issuer}/eid/reactivation/nonce`, { method: 'POST', headers: { 'accept-language': 'en', ...headers }, body });
    const body = JSON.stringify({ mobile: MOBILE });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const refused = await post({ 'content-type': type }, type === 'text/plain' ? body : `mobile=${encodeURIComponent(MOBILE)}`);
      expect([refused.status, await refused.json()]).toEqual([
        415,
        { error: 'unsupported_media_type', message: 'This address takes JSON only (Content-Type: application/json).' },
      ]);
    }
    const foreign = await post({ 'content-type': 'application/json', origin: 'https://evil.example' }, body);
    expect([foreign.status, await foreign.json()]).toEqual([403, { error: 'csrf', message: 'Requests from another site are refused.' }]);
    const own = await post({ 'content-type': 'application/json', origin: e.idp.issuer }, body);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ flowId: expect.any(String), flowSecret: expect.stringMatching(/^[\w-]{43}$/) });
  });

  it('keeps the national number out of every table and every log line', () => suite.expectNationalNumberNowhere());
});
