// `eid-bridge serve` over real HTTP, as the provider's page and the citizen's browser use it. The daemon is a
// child process whose whole output is captured, so that the PIN can be looked for in it.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../helpers/components.ts';
import { waitUntil } from '../helpers/wait.ts';
import { type Daemon, pollUntil, randomNonce, removeVirtualCards, runCli, startServe, virtualCard, type VirtualCard, webEidSignatureValid } from './helpers.ts';

// Distinctive, so that finding them in a body or a log means a leak, not a coincidence.
const PIN = '73915604';
const WRONG_PIN = '60481937';
const ORIGIN = 'https://idp.example.be';
const OTHER_ALLOWED = 'http://localhost:3000';

describe.skipIf(!has('softhsm'))('the eid-bridge daemon', () => {
  let card: VirtualCard;
  let daemon: Daemon;
  const bodies: string[] = [];

  beforeAll(async () => {
    card = await virtualCard(['--pin', PIN]);
    daemon = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: `${ORIGIN}, ${OTHER_ALLOWED}` });
  });
  afterAll(async () => {
    await daemon?.stop();
    removeVirtualCards();
  });

  async function call(
    path: string,
    init: { method?: string; origin?: string | null; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(new URL(path, daemon.url), { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  /** A request with a Host header of our choosing, which fetch does not allow. */
  function withHost(host: string, path = '/status'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: daemon.port, path, headers: { host, origin: ORIGIN } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject).end();
    });
  }

  const start = (nonce = randomNonce(), origin = ORIGIN) => call('/authenticate', { json: { nonce }, origin });

  async function pinPage(pinUrl: string) {
    const page = await call(pinUrl, { origin: null });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    return { page, csrf: csrf ?? '' };
  }

  const submitPin = (pinUrl: string, form: Record<string, string>, origin = daemon.url) => call(pinUrl, { form, origin });

  it('tells its status to an allowed page, with CORS for that page only', async () => {
    const res = await call('/status');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('vary')).toBe('Origin');
    // What the page needs to say what is missing; not the module's path or the readers' names (attack pass: fingerprints).
    expect(res.json()).toMatchObject({ eidPresent: true, pinPad: false, readers: expect.arrayContaining([{ cardPresent: true, eid: true, pinPad: false }]) });
    expect(Object.keys(res.json()).sort()).toEqual(['eidPresent', 'pinPad', 'readers']);
    for (const reader of res.json().readers) expect(Object.keys(reader).sort()).toEqual(['cardPresent', 'eid', 'pinPad']);
    expect(res.text).not.toContain('softhsm');
  });

  it('shows a person who opens its address that it runs and finds the card, in the browser’s language, not JSON', async () => {
    const page = await call('/', { origin: null, headers: { 'accept-language': 'de-BE,nl;q=0.8' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<html lang="de">');
    expect(page.text).toContain('<h1>Die Kartenbrücke läuft</h1>');
    expect(page.text).toContain('<p role="status">Eine eID-Karte steckt im Kartenleser.</p>');
    const english = await call('/', { origin: null, headers: { 'accept-language': 'es' } });
    expect(english.text).toContain('<h1>The card bridge is running</h1>');
  });

  it("authenticates end to end: start, PIN on the bridge's page, poll the token", async () => {
    const nonce = randomNonce();
    const started = await start(nonce);
    expect(started.status).toBe(202);
    const op = started.json();
    expect(op).toMatchObject({ state: 'pin_required', pinSource: 'page', pinUrl: `http://127.0.0.1:${daemon.port}/pin/${op.operationId}` });
    expect(started.headers.get('location')).toBe(`/operations/${op.operationId}`);

    const { page, csrf } = await pinPage(op.pinUrl);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<strong class="host" id="asking-host">idp.example.be</strong>asks to identify you with your Belgian eID card.');
    expect(page.text).toContain(`<p class="hint" id="asking-origin">${ORIGIN}</p>`);
    expect(page.text).toContain('<header>Card bridge</header>');
    expect(page.text).toContain('<p id="card">Card of Jan Karel Specimen, card number 592-1234567-89</p>');
    expect(page.text).toContain('Three wrong PINs in a row block the card. The card does not tell how many tries are left.');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const wrong = await submitPin(op.pinUrl, { csrf, pin: WRONG_PIN });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong PIN');
    expect(wrong.text).toContain('name="pin"');
    const waiting = await call(`/operations/${op.operationId}`);
    expect(waiting.json()).toMatchObject({ state: 'pin_required', lastError: { error: 'pin_incorrect' } });

    const short = await submitPin(op.pinUrl, { csrf, pin: '12' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('The PIN of a Belgian eID has 4 to 12 digits');

    const right = await submitPin(op.pinUrl, { csrf, pin: PIN });
    expect(right.status).toBe(200);
    expect(right.text).toContain('You are identified to idp.example.be.');

    const done = await call(`/operations/${op.operationId}`);
    expect(done.status).toBe(200);
    const result = done.json();
    expect(result).toMatchObject({
      state: 'done',
      authToken: {
        format: 'web-eid:1.0',
        algorithm: 'ES384',
        appVersion: expect.any(String),
        unverifiedCertificate: expect.any(String),
        signature: expect.any(String),
      },
      identity: { nationalNumber: '85073100328', surname: 'Specimen', givenNames: 'Jan Karel', card: { cardNumber: '592123456789' } },
      caCertificates: [expect.stringMatching(/^MII/)],
    });
    // Any https page may ask: it learns what the certificate shows and the card number, not the card's other data.
    expect(result.identity).toEqual({ nationalNumber: '85073100328', surname: 'Specimen', givenNames: 'Jan Karel', card: { cardNumber: '592123456789' } });
    for (const printed of ['Wetstraat', 'Brussel', 'JUL 1985', 'Belg']) expect(done.text).not.toContain(printed);
    expect(webEidSignatureValid(result.authToken, ORIGIN, nonce)).toBe(true);
    expect(webEidSignatureValid(result.authToken, OTHER_ALLOWED, nonce)).toBe(false);
    // The token is handed out once.
    expect((await call(`/operations/${op.operationId}`)).status).toBe(404);
  });

  it.each([
    ['another origin', { origin: 'https://evil.example' }, 'origin_not_allowed'],
    ['no Origin', { origin: null }, 'no_origin'],
  ] as const)('refuses a request from %s with 403 and no CORS header', async (_, init, code) => {
    for (const res of [await call('/status', init), await call('/authenticate', { ...init, json: { nonce: randomNonce() } })]) {
      expect(res.status).toBe(403);
      expect(res.json().error).toBe(code);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('refuses a Host header other than its own (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${daemon.port}`, '127.0.0.1', `127.0.0.1:${daemon.port + 1}`, `localhost.evil.example:${daemon.port}`]) {
      const res = await withHost(host);
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error).toBe('bad_host');
    }
    expect((await withHost(`localhost:${daemon.port}`)).status).toBe(200);
    expect((await withHost(`127.0.0.1:${daemon.port}`)).status).toBe(200);
  });

  it('answers CORS and Private Network Access preflights for allowed origins only', async () => {
    const preflight = (origin: string, privateNetwork: boolean) =>
      call('/authenticate', {
        method: 'OPTIONS',
        origin,
        headers: {
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
          ...(privateNetwork ? { 'access-control-request-private-network': 'true' } : {}),
        },
      });
    const allowed = await preflight(OTHER_ALLOWED, true);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(OTHER_ALLOWED);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('Content-Type');
    expect(allowed.headers.get('access-control-allow-private-network')).toBe('true');
    expect((await preflight(ORIGIN, false)).headers.get('access-control-allow-private-network')).toBeNull();
    const refused = await preflight('https://evil.example', true);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-private-network')).toBeNull();
  });

  it.each([
    ['a nonce that is too short', { nonce: 'c2hvcnQ=' }, 'nonce'],
    ['a nonce that is not base64', { nonce: `${'x'.repeat(44)}<script>` }, 'expected a base64 nonce'],
    ['an unknown field', { nonce: 'A'.repeat(44), pin: '1234' }, 'pin'],
    ["an origin other than the page's", { nonce: 'A'.repeat(44), origin: OTHER_ALLOWED }, 'origin must be the Origin of the page that asks'],
    ['an unknown PIN source', { nonce: 'A'.repeat(44), pinSource: 'sms' }, 'pinSource'],
  ])('refuses %s as bad_request', async (_, json, message) => {
    const res = await call('/authenticate', { json });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining(message) });
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('refuses a body that is not JSON, and a PIN pad the reader does not have', async () => {
    const text = await call('/authenticate', { headers: { 'content-type': 'text/plain' }, method: 'POST' });
    expect(text.json()).toMatchObject({ error: 'bad_request', message: 'The body must be application/json' });
    const pinpad = await call('/authenticate', { json: { nonce: randomNonce(), pinSource: 'pinpad' } });
    expect(pinpad.status).toBe(409);
    expect(pinpad.json().error).toBe('no_pinpad');
  });

  it('serialises two concurrent authenticate calls: one proceeds, the other is told busy', async () => {
    const [a, b] = await Promise.all([start(), start(randomNonce(), OTHER_ALLOWED)]);
    const [ok, busy] = a.status === 202 ? [a, b] : [b, a];
    expect([ok.status, busy.status]).toEqual([202, 409]);
    expect(busy.json()).toMatchObject({ error: 'busy', message: expect.stringContaining('Another website is using your eID') });
    const op = ok.json();
    const origin = ok === a ? ORIGIN : OTHER_ALLOWED;

    // Another allowed page neither sees nor cancels it.
    const other = origin === ORIGIN ? OTHER_ALLOWED : ORIGIN;
    expect((await call(`/operations/${op.operationId}`, { origin: other })).status).toBe(404);
    expect((await call(`/operations/${op.operationId}`, { origin: other, method: 'DELETE' })).status).toBe(404);
    expect((await start(randomNonce(), other)).status).toBe(409);

    const { csrf } = await pinPage(op.pinUrl);
    expect((await submitPin(op.pinUrl, { csrf, pin: PIN })).status).toBe(200);
    expect((await call(`/operations/${op.operationId}`, { origin })).json().state).toBe('done');
    const next = await start();
    expect(next.status).toBe(202);
    expect((await call(`/operations/${next.json().operationId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/operations/${next.json().operationId}`)).json()).toMatchObject({ state: 'failed', error: 'cancelled' });
  });

  it('lets a new request from the same page replace its abandoned operation, which ends as cancelled', async () => {
    const stale = (await start()).json();
    const fresh = await start();
    expect(fresh.status).toBe(202);
    expect((await call(`/operations/${stale.operationId}`)).json()).toMatchObject({
      state: 'failed',
      error: 'cancelled',
      message: 'Replaced by a newer request from the same website',
    });
    expect((await pinPage(stale.pinUrl)).page.text).toContain('Cancelled. You can close this window');
    expect((await call(`/operations/${fresh.json().operationId}`, { method: 'DELETE' })).status).toBe(204);
  });

  it("takes the PIN only from its own page, with the form's token", async () => {
    const res = await start();
    expect(res.status).toBe(202);
    const op = res.json();
    const { csrf } = await pinPage(op.pinUrl);
    const foreign = await submitPin(op.pinUrl, { csrf, pin: PIN }, 'https://evil.example');
    expect(foreign.status).toBe(403);
    const provider = await submitPin(op.pinUrl, { csrf, pin: PIN }, ORIGIN);
    expect(provider.status).toBe(403);
    const forged = await submitPin(op.pinUrl, { csrf: 'x'.repeat(csrf.length), pin: PIN });
    expect(forged.status).toBe(403);
    expect((await call(`/operations/${op.operationId}`)).json().state).toBe('pin_required');
    expect((await call(`/operations/${op.operationId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await pinPage(op.pinUrl)).page.text).toContain('Not identified');
    expect((await call('/pin/unknown-operation', { origin: null })).status).toBe(404);
  });

  it('never shows the PIN in a response or in its log', () => {
    const everything = bodies.join('\n') + daemon.output();
    expect(bodies.length).toBeGreaterThan(20);
    expect(everything).toContain('operation ');
    expect(everything).not.toContain(PIN);
    expect(everything).not.toContain(WRONG_PIN);
  });
});

describe.skipIf(!has('softhsm'))('the eid-bridge daemon with a short timeout, or the PIN from its terminal', () => {
  let card: VirtualCard;
  const headers = { origin: ORIGIN, 'content-type': 'application/json' };
  const authenticate = (daemon: Daemon, nonce = randomNonce()) =>
    fetch(`${daemon.url}/authenticate`, { method: 'POST', headers, body: JSON.stringify({ nonce }) });
  const view = async (daemon: Daemon, id: string) => (await fetch(`${daemon.url}/operations/${id}`, { headers })).json();
  const settled = (daemon: Daemon, id: string) =>
    pollUntil(
      async () => {
        const v = await view(daemon, id);
        return v.state === 'pin_required' ? undefined : v;
      },
      10_000,
      'the operation to end',
    );

  beforeAll(async () => {
    card = await virtualCard(['--pin', PIN]);
  });
  afterAll(removeVirtualCards);

  it('fails an operation whose PIN does not come in time, and frees the card', async () => {
    const daemon = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: ORIGIN, EID_BRIDGE_OPERATION_TIMEOUT: '1' });
    try {
      const op = await (await authenticate(daemon)).json();
      expect(await settled(daemon, op.operationId)).toMatchObject({
        state: 'failed',
        error: 'timeout',
        message: 'The PIN was not entered in time: start again',
      });
      expect((await authenticate(daemon)).status).toBe(202);
    } finally {
      await daemon.stop();
    }
  });

  it('asks the PIN in the terminal with --pin-from-terminal, and keeps it out of its output', async () => {
    const daemon = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: ORIGIN }, ['--pin-from-terminal'], { terminal: true });
    try {
      const nonce = randomNonce();
      const op = await (await authenticate(daemon, nonce)).json();
      expect(op).toMatchObject({ state: 'pin_required', pinSource: 'terminal' });
      expect(op.pinUrl).toBeUndefined();
      await waitUntil(() => daemon.output().includes(`${ORIGIN} asks to identify you with your eID. PIN (input hidden):`) || undefined, 5000, 'the PIN prompt');
      daemon.child.stdin!.write(`${PIN}\r`);
      const done = await settled(daemon, op.operationId);
      expect(done.state).toBe('done');
      expect(webEidSignatureValid(done.authToken, ORIGIN, nonce)).toBe(true);
      expect(daemon.output()).not.toContain(PIN);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses --pin-from-terminal when standard input is not a terminal: no PIN from a pipe or a file', async () => {
    const piped = await runCli(['serve', '--pin-from-terminal'], { ...card.env, EID_BRIDGE_PORT: '0' }, `${PIN}\n`);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('--pin-from-terminal needs a terminal: standard input is not one (a PIN must not come from a file or a pipe) [bad_request]');
    expect(piped.stdout).not.toContain('listening');
  });
});

describe.skipIf(!has('softhsm'))('the eid-bridge daemon without EID_BRIDGE_ALLOWED_ORIGINS', () => {
  let daemon: Daemon;

  beforeAll(async () => {
    const card = await virtualCard(['--pin', PIN]);
    daemon = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: '' });
  });
  afterAll(async () => {
    await daemon?.stop();
    removeVirtualCards();
  });

  const status = (origin: string) => fetch(`${daemon.url}/status`, { headers: { origin } });

  it('says it serves any https page', () => {
    expect(daemon.output()).toContain('for any https page');
  });

  it.each(['https://idp.example.be', 'https://login.other-provider.eu:8443', 'http://localhost:3000', 'http://127.0.0.1:8080'])(
    'answers %s, with CORS for it',
    async (origin) => {
      const res = await status(origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    },
  );

  it.each(['http://idp.example.be', 'http://192.168.1.10:3000', 'null', 'file://', 'chrome-extension://abcdefghijklmnop'])(
    'refuses %s with 403 and no CORS header',
    async (origin) => {
      const res = await status(origin);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: 'origin_not_allowed', message: expect.stringContaining('only https pages may') });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  it('signs for the origin that asked, which the PIN page shows', async () => {
    const origin = 'https://login.other-provider.eu:8443';
    const op = await (
      await fetch(`${daemon.url}/authenticate`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ nonce: randomNonce(), lang: 'fr' }),
      })
    ).json();
    const page = await (await fetch(op.pinUrl)).text();
    expect(page).toContain('<html lang="fr">');
    expect(page).toContain('<header>Pont de carte</header>');
    expect(page).toContain('<strong class="host" id="asking-host">login.other-provider.eu:8443</strong>demande à vous identifier avec votre carte eID belge.');
    expect((await fetch(`${daemon.url}/operations/${op.operationId}`, { method: 'DELETE', headers: { origin } })).status).toBe(204);
  });
});
