// The card step of the eID pages (views/pages/eid/card.njk): finds the card bridge on this computer, asks it to
// sign the page's nonce, opens the bridge's PIN window (the PIN is never typed on this site), waits for the
// operation to finish and posts the token with the form. Texts come from the page, in its language.
const root = document.querySelector('[data-eid]');
const form = root.querySelector('[data-eid-form]');
const start = root.querySelector('[data-eid-start]');
const status = root.querySelector('[data-eid-status]');
const install = root.querySelector('[data-eid-install]');
const pinHelp = root.querySelector('[data-eid-pin]');
const bridge = root.dataset.bridge.replace(/\/$/, '');
const message = (name) => root.querySelector(`[data-eid-message="${name}"]`).textContent;
const say = (name, extra = '') => (status.textContent = extra ? `${message(name)} ${extra}` : message(name));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let busy = false;

async function bridgeJson(path, init) {
  const response = await fetch(`${bridge}${path}`, { ...init, headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: await response.json() };
}

async function findBridge() {
  for (;;) {
    try {
      const { body } = await bridgeJson('/status');
      install.hidden = true;
      if (!body.readers?.length) say('no_reader');
      else if (!body.eidPresent) say('no_card');
      else {
        if (!busy) say('ready');
        start.disabled = false;
        return;
      }
    } catch {
      say('missing');
      install.hidden = false;
    }
    start.disabled = true;
    await sleep(3000);
  }
}

async function readCard() {
  const { status: code, body: started } = await bridgeJson('/authenticate', { method: 'POST', body: JSON.stringify({ nonce: root.dataset.nonce }) });
  if (code !== 202) throw new Error(started.message ?? started.error);
  let op = started;
  if (op.pinUrl) {
    const link = pinHelp.querySelector('a');
    link.href = op.pinUrl;
    pinHelp.hidden = false;
    window.open(op.pinUrl, 'eid-pin', 'popup,width=520,height=640');
  }
  say('pin');
  while (op.state === 'pin_required') {
    await sleep(500);
    op = (await bridgeJson(`/operations/${op.operationId}`)).body;
  }
  pinHelp.hidden = true;
  if (op.state !== 'done') throw new Error(op.message ?? op.error);
  return op;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  const consent = form.querySelector('#consent');
  if (consent && !consent.checked) {
    say('consent');
    consent.focus();
    return;
  }
  busy = true;
  start.disabled = true;
  try {
    const op = await readCard();
    say('sending');
    form.elements.authToken.value = JSON.stringify(op.authToken);
    form.elements.cardNumber.value = op.identity?.card?.cardNumber ?? '';
    form.elements.caCertificates.value = JSON.stringify(op.caCertificates ?? []);
    form.submit();
  } catch (e) {
    say('failed', e.message);
    busy = false;
    start.disabled = false;
  }
});

findBridge();
