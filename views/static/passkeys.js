// Passkeys in the browser, with @simplewebauthn/browser (/static/webauthn.js, loaded before this script):
//  - the security page's "add a passkey" form, and the one a login's enrolment offers beside the authenticator app
//    (shown only where the browser can make a passkey), ask the server for options, let the authenticator make the
//    passkey and post its answer with the name;
//  - the login page's button, and the passkeys the browser offers in the username field's autofill (conditional
//    UI), post the authenticator's answer to the login.
// Each ceremony's options come from the server with the flow that keeps their challenge. Texts come from the page.
const { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } = window.SimpleWebAuthnBrowser;

/** `wait`: seconds, for the "busy" message's {wait}, written out as the server writes durations (whole hours, or minutes). */
function say(root, name, wait) {
  const status = root.querySelector('[data-passkey-status]');
  const [value, unit] = wait >= 3600 && wait % 3600 === 0 ? [wait / 3600, 'hour'] : [Math.max(1, Math.floor(wait / 60)), 'minute'];
  const written = new Intl.NumberFormat(document.documentElement.lang, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
  status.textContent = root.querySelector(`[data-passkey-message="${name}"]`).textContent.replace('{wait}', written);
  status.hidden = false;
}

class Busy extends Error {
  constructor(wait) {
    super('busy');
    this.wait = wait;
  }
}

/** The options and their flow; the form's CSRF token goes with the request, as with any form of this site. */
async function options(root, form) {
  const response = await fetch(root.dataset.options, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: form.elements._csrf.value }),
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  // Too many ceremonies begun from here: said on the page, with how long to wait, where a reload would look as if
  // nothing had happened.
  if (response.status === 429) throw new Busy(Number(response.headers.get('retry-after')) || 60);
  // Anything but JSON is the page of a login that went stale: the reload shows it.
  if (!response.ok || !response.headers.get('content-type')?.includes('application/json')) {
    location.reload();
    throw new Error('stale');
  }
  return response.json();
}

function answer(form, flow, response) {
  form.elements.flow.value = flow;
  form.elements.response.value = JSON.stringify(response);
  form.submit();
}

/** The browser's reason for a failed ceremony, as one of the page's messages; undefined when another ceremony replaced it. */
function reason(error) {
  if (error.message === 'busy') return 'busy';
  if (error.name === 'AbortError' || error.code === 'ERROR_CEREMONY_ABORTED') return undefined;
  if (error.name === 'InvalidStateError') return 'exists';
  if (error.name === 'NotAllowedError') return 'cancelled';
  return 'failed';
}

const register = document.querySelector('[data-passkey-register]');
if (register) {
  const offer = register.closest('[data-passkey-offer]');
  if (offer && browserSupportsWebAuthn()) offer.hidden = false;
  register.addEventListener('submit', async (event) => {
    // Without a name the server says what is missing; without WebAuthn the page says so.
    if (!register.elements.name.value.trim()) return;
    event.preventDefault();
    if (!browserSupportsWebAuthn()) return say(register, 'unsupported');
    try {
      const { flow, options: optionsJSON } = await options(register, register);
      answer(register, flow, await startRegistration({ optionsJSON }));
    } catch (error) {
      const why = error.message === 'stale' ? undefined : reason(error);
      if (why) say(register, why, error.wait);
    }
  });
}

const login = document.querySelector('[data-passkey-login]');
if (login && browserSupportsWebAuthn()) {
  const form = login.querySelector('form');
  login.hidden = false;
  const ceremony = async (useBrowserAutofill) => {
    try {
      const { flow, options: optionsJSON } = await options(login, form);
      answer(form, flow, await startAuthentication({ optionsJSON, useBrowserAutofill }));
    } catch (error) {
      const why = error.message === 'stale' ? undefined : reason(error);
      // The autofill waits quietly: only the button's ceremony says why it stopped.
      if (why && !useBrowserAutofill) say(login, why, error.wait);
    }
  };
  login.querySelector('[data-passkey-start]').addEventListener('click', () => ceremony(false));
  // The second step of a login offers its passkeys on the button only: the code field is for the app's code.
  if (login.dataset.autofill !== 'off' && (await browserSupportsWebAuthnAutofill())) void ceremony(true);
}
