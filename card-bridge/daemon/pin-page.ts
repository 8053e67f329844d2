// The page where the citizen types the PIN: served by the bridge itself, so the PIN never passes through the
// provider's page. It names the site that asks, has no script at all, and posts only to itself.
import type { OutgoingHttpHeaders } from 'node:http';

export const PAGE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it browsers send `Origin: null` with the PIN form's POST, which the Origin check refuses.
  'referrer-policy': 'same-origin',
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – eID bridge</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
input{font-size:1.5rem;letter-spacing:.3em;width:100%;box-sizing:border-box;padding:.4rem}
button{font-size:1rem;margin-top:1rem;padding:.5rem 1.5rem}.error{color:#a00;font-weight:600}</style>
</head><body><h1>${escape(title)}</h1>
${body}
</body></html>`;
}

export function pinForm(o: { origin: string; csrf: string; error?: string | undefined }): string {
  return layout(
    'Enter your eID PIN',
    `<p><strong>${escape(o.origin)}</strong> asks to identify you with your Belgian eID card.</p>
${o.error ? `<p class="error" role="alert">${escape(o.error)}</p>` : ''}
<form method="post" autocomplete="off">
<input type="hidden" name="csrf" value="${escape(o.csrf)}">
<label for="pin">PIN code (4 to 12 digits)</label>
<input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,12}" minlength="4" maxlength="12" required autofocus>
<button type="submit">Identify me</button>
</form>
<p>Only type your PIN here if you started this on ${escape(o.origin)}. Your PIN stays on this computer.</p>`,
  );
}

export function outcomePage(title: string, message: string): string {
  return layout(title, `<p>${escape(message)}</p>`);
}
