// The card step of the eID pages (views/pages/eid/card.njk). Two ways to the card, both ending in the same Web eID
// token that the provider validates the same way:
//  - the eID bridge on this computer: asked to sign the page's nonce, it opens its own window for the PIN (never
//    typed on this site); the page waits for the operation and posts the token with the form;
//  - the Web eID browser extension and its native app, through the extension's page messages (window.postMessage,
//    action "web-eid:…" answered by "-ack" then "-success" or "-failure", as web-eid.js does).
// When both answer, the bridge is used and the extension offered as the other choice.
// Texts come from the page, in its language.
const root = document.querySelector('[data-eid]');
const form = root.querySelector('[data-eid-form]');
const start = root.querySelector('[data-eid-start]');
const status = root.querySelector('[data-eid-status]');
const install = root.querySelector('[data-eid-install]');
const pinHelp = root.querySelector('[data-eid-pin]');
const look = root.querySelector('[data-eid-look]');
const useExtension = root.querySelector('[data-eid-use-extension]');
const bridge = root.dataset.bridge.replace(/\/$/, '');
const nonce = root.dataset.nonce;
const lang = document.documentElement.lang || 'en';
const message = (name) => root.querySelector(`[data-eid-message="${name}"]`).textContent;
const say = (name, extra = '') => (status.textContent = extra ? `${message(name)} ${extra}` : message(name));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Survives a reload of this tab, so that an operation the page lost track of can be resumed or cancelled.
const STORED = 'eid-bridge-operation';
let path; // 'bridge' | 'extension', once one answered
let extensionPresent = false;
let busy = false;
let current; // the bridge operation under way

// ---- The bridge, over loopback HTTP

// Local Network Access: the request is declared to go to this computer, so that Chromium asks the person (once)
// whether this site may reach it, instead of failing.
async function bridgeJson(route, init = {}) {
  const response = await fetch(`${bridge}${route}`, { ...init, targetAddressSpace: 'loopback', headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

/**
 * 'granted', 'prompt' or 'denied' for loopback requests; 'granted' where the browser has no such permission, and
 * for a page served from this computer, which crosses into no more private address space.
 */
async function loopbackPermission() {
  if (['localhost', '127.0.0.1', '[::1]'].includes(location.hostname)) return 'granted';
  try {
    return (await navigator.permissions.query({ name: 'loopback-network' })).state;
  } catch {
    return 'granted';
  }
}

/** Polls the bridge until a card is ready; says what is missing meanwhile. */
async function findBridge() {
  look.hidden = true;
  for (;;) {
    try {
      const { body } = await bridgeJson('/status');
      install.hidden = true;
      path = 'bridge';
      useExtension.hidden = !extensionPresent;
      if (!body.readers?.length) say('no_reader');
      else if (!body.eidPresent) say('no_card');
      else {
        if (!busy) say('ready');
        start.disabled = false;
        return;
      }
    } catch {
      if (extensionPresent) return useTheExtension();
      if ((await loopbackPermission()) === 'denied') say('lna_denied');
      else {
        say('missing');
        install.hidden = false;
      }
    }
    start.disabled = true;
    await sleep(3000);
  }
}

const remember = (op) => sessionStorage.setItem(STORED, JSON.stringify({ id: op.operationId, nonce }));
const forget = () => sessionStorage.removeItem(STORED);
const cancel = (id) => fetch(`${bridge}/operations/${id}`, { method: 'DELETE', keepalive: true, targetAddressSpace: 'loopback' }).catch(() => {});

async function follow(op) {
  current = op;
  if (op.pinUrl) {
    const link = pinHelp.querySelector('a');
    link.href = op.pinUrl;
    pinHelp.hidden = false;
  }
  say('pin');
  while (op.state === 'pin_required') {
    await sleep(500);
    op = (await bridgeJson(`/operations/${op.operationId}`)).body;
  }
  current = undefined;
  forget();
  pinHelp.hidden = true;
  if (op.state !== 'done') throw new Error(op.message ?? op.error);
  return { authToken: op.authToken, cardNumber: op.identity?.card?.cardNumber ?? '', caCertificates: op.caCertificates ?? [] };
}

async function readWithBridge() {
  const { status: code, body: started } = await bridgeJson('/authenticate', { method: 'POST', body: JSON.stringify({ nonce, lang }) });
  if (code !== 202) throw new Error(started.message ?? started.error);
  remember(started);
  if (started.pinUrl) window.open(started.pinUrl, 'eid-pin', 'popup,width=520,height=700');
  return follow(started);
}

// An operation this tab started before a reload: resumed when it signs this page's nonce, else cancelled.
async function resumeOrCancel() {
  const stored = JSON.parse(sessionStorage.getItem(STORED) ?? 'null');
  if (!stored) return;
  if (stored.nonce !== nonce) {
    forget();
    return cancel(stored.id);
  }
  const { status: code, body: op } = await bridgeJson(`/operations/${stored.id}`).catch(() => ({ status: 0 }));
  if (code !== 200) return forget();
  busy = true;
  await submit(() => follow(op));
}

// A reload or a closed tab abandons the operation: the bridge is told at once rather than waiting for its timeout.
window.addEventListener('pagehide', (event) => {
  if (current && !event.persisted) cancel(current.operationId);
});

// ---- The Web eID extension, through page messages

const LIBRARY_VERSION = '2.1.0';
const ACK_TIMEOUT_MS = 1000;

/** Sends `request` to the extension; resolves with its "-success" message, rejects on "-failure" or silence. */
function toExtension(request, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timers = [setTimeout(() => done(reject, new Error('no_extension')), ACK_TIMEOUT_MS), setTimeout(() => done(reject, new Error('timeout')), timeoutMs)];
    function done(settle, value) {
      timers.forEach(clearTimeout);
      window.removeEventListener('message', onMessage);
      settle(value);
    }
    function onMessage(event) {
      if (event.source !== window || typeof event.data?.action !== 'string') return;
      const { action } = event.data;
      if (action === `${request.action}-ack`) clearTimeout(timers[0]);
      else if (action === `${request.action}-success`) done(resolve, event.data);
      else if (action === `${request.action}-failure`) done(reject, new Error(event.data.error?.message ?? event.data.error?.code ?? 'failure'));
    }
    window.addEventListener('message', onMessage);
    window.postMessage({ ...request, libraryVersion: LIBRARY_VERSION }, location.origin);
  });
}

async function detectExtension() {
  // The extension's content script may load a moment after this page's scripts, as web-eid.js allows for.
  await sleep(ACK_TIMEOUT_MS);
  try {
    await toExtension({ action: 'web-eid:status' }, 6000);
    return true;
  } catch {
    return false;
  }
}

async function readWithExtension() {
  say('extension_pin');
  const token = await toExtension({ action: 'web-eid:authenticate', challengeNonce: nonce, options: { lang } }, 130_000);
  const { unverifiedCertificate, algorithm, signature, format, appVersion } = token;
  return { authToken: { unverifiedCertificate, algorithm, signature, format, appVersion }, cardNumber: '', caCertificates: [] };
}

function useTheExtension() {
  path = 'extension';
  install.hidden = true;
  useExtension.hidden = true;
  say('extension');
  start.disabled = false;
}

// ---- The form

async function submit(read) {
  start.disabled = true;
  try {
    const answer = await read();
    say('sending');
    form.elements.authToken.value = JSON.stringify(answer.authToken);
    form.elements.cardNumber.value = answer.cardNumber;
    form.elements.caCertificates.value = JSON.stringify(answer.caCertificates);
    form.submit();
  } catch (e) {
    say('failed', e.message);
    busy = false;
    start.disabled = false;
  }
}

function consented() {
  const consent = form.querySelector('#consent');
  if (!consent || consent.checked) return true;
  say('consent');
  consent.focus();
  return false;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (busy || !consented()) return;
  busy = true;
  void submit(path === 'extension' ? readWithExtension : readWithBridge);
});

useExtension.addEventListener('click', () => {
  if (busy) return;
  useTheExtension();
});

look.addEventListener('click', () => void findBridge());

(async () => {
  say('checking');
  extensionPresent = await detectExtension();
  const permission = await loopbackPermission();
  if (permission === 'prompt') {
    // The browser will ask the person: not on page load, but after this page said why, on their click.
    if (extensionPresent) useTheExtension();
    else say('lna_prompt');
    look.hidden = false;
    return;
  }
  if (permission === 'denied' && !extensionPresent) return say('lna_denied');
  await resumeOrCancel();
  if (!busy) await findBridge();
})();
