// The pages of the bridge itself, in a window the provider's page opens: the choice of card when several are in
// the readers, the PIN form, the PIN pad notice, the outcome. The PIN never passes through the provider's page.
// They name the site that asks (its host in large type, since that is what a phishing page cannot fake here),
// have no script at all, and post only to themselves.
import type { OutgoingHttpHeaders } from 'node:http';
import type { InsertedCard } from '../card.ts';
import { formatCardNumber } from '../contract/card-number.ts';
import type { Status } from '../status.ts';
import { LANGUAGES, text, type Language, type TextKey } from './pin-texts.ts';

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

// The provider's look (views/static/app.css), inline because the page may load nothing from elsewhere.
const STYLE = `:root{--fg:#1b1b1b;--accent:#0b4f9c;--error:#a4000f;--muted:#4a4a4a;--focus:#ffbf47}
*{box-sizing:border-box}body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
header{padding:.75rem 1rem;border-bottom:1px solid #ccc;font-weight:700}main{max-width:30rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.25}.host{display:block;font-size:2rem;line-height:1.2;font-weight:700;overflow-wrap:anywhere}
.hint{color:var(--muted);font-size:.95rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=password]{font-size:1.5rem;letter-spacing:.3em;width:100%;padding:.5rem;border:2px solid #595959;border-radius:4px}
button{font:inherit;padding:.6rem 1.2rem;border-radius:4px;border:2px solid var(--accent);margin:1rem .5rem 0 0;cursor:pointer}
button.primary{background:var(--accent);color:#fff}button.secondary{background:#fff;color:var(--accent)}
.alert{padding:.75rem 1rem;border-left:5px solid var(--accent);background:#eaf1fa;margin:1rem 0}
.alert-error{border-color:var(--error);background:#fdecee;font-weight:600}
fieldset{border:0;padding:0;margin:0}.choice{display:flex;gap:.5rem;align-items:flex-start;margin:.5rem 0;font-weight:400}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}`;

function layout(lang: Language, title: string, body: string, options: { refresh?: boolean } = {}): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${options.refresh ? '<meta http-equiv="refresh" content="2">' : ''}<title>${escape(title)} – ${escape(text(lang, 'bridge.name'))}</title>
<style>${STYLE}</style>
</head><body><header>${escape(text(lang, 'bridge.name'))}</header><main><h1>${escape(title)}</h1>
${body}
</main></body></html>`;
}

export interface PageContext {
  lang: Language;
  origin: string;
  csrf: string;
}

function asker(c: PageContext): string {
  const host = new URL(c.origin).host;
  return `<p><strong class="host" id="asking-host">${escape(host)}</strong>${escape(text(c.lang, 'pin.asks'))}</p>
<p class="hint" id="asking-origin">${escape(c.origin)}</p>`;
}

function cardLine(lang: Language, card: InsertedCard): string {
  const number = card.cardNumber ? `, ${text(lang, 'pin.card_number', { number: formatCardNumber(card.cardNumber) })}` : '';
  return `<p id="card">${escape(text(lang, 'pin.card', { holder: card.holder }) + number)}</p>`;
}

const hidden = (c: PageContext) => `<input type="hidden" name="csrf" value="${escape(c.csrf)}">`;
const cancelButton = (lang: Language) =>
  `<button type="submit" name="cancel" value="1" class="secondary" formnovalidate>${escape(text(lang, 'pin.cancel'))}</button>`;

/** `error`: the text of the last wrong try; `lastTry`: the person already typed two wrong PINs in this operation. */
export function pinForm(c: PageContext & { card: InsertedCard; error?: TextKey | undefined; lastTry: boolean }): string {
  const t = (key: TextKey, params?: Record<string, string>) => escape(text(c.lang, key, params));
  return layout(
    c.lang,
    text(c.lang, 'pin.title'),
    `${asker(c)}
${cardLine(c.lang, c.card)}
${c.error ? `<p class="alert alert-error" role="alert">${t(c.error)}${c.lastTry ? ` ${t('pin.last_try')}` : ''}</p>` : ''}
<form method="post" autocomplete="off">
${hidden(c)}
<label for="pin">${t('pin.label')}</label>
<input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,12}" minlength="4" maxlength="12" required autofocus aria-describedby="tries">
<p class="hint" id="tries">${t('pin.tries')}</p>
<button type="submit" class="primary">${t('pin.submit')}</button>${cancelButton(c.lang)}
</form>
<p class="alert">${t('pin.only_here', { host: new URL(c.origin).host })}</p>`,
  );
}

export function choiceForm(c: PageContext & { cards: InsertedCard[] }): string {
  const t = (key: TextKey) => escape(text(c.lang, key));
  const choices = c.cards
    .map((card, i) => {
      const number = card.cardNumber ? ` (${escape(text(c.lang, 'pin.card_number', { number: formatCardNumber(card.cardNumber) }))})` : '';
      return `<label class="choice"><input type="radio" name="card" value="${escape(card.slot)}" required${i === 0 ? ' autofocus' : ''}> <span>${escape(text(c.lang, 'choose.card', { holder: card.holder, reader: card.reader }))}${number}</span></label>`;
    })
    .join('\n');
  return layout(
    c.lang,
    text(c.lang, 'choose.title'),
    `${asker(c)}
<form method="post" autocomplete="off">
${hidden(c)}
<fieldset><legend>${t('choose.intro')}</legend>
${choices}
</fieldset>
<button type="submit" class="primary">${t('choose.submit')}</button>${cancelButton(c.lang)}
</form>`,
  );
}

/**
 * A card in a reader with a PIN pad: first the asking site and a button that makes the reader ask for the PIN; then,
 * while the reader waits (`waiting`), the notice, reloading itself to show the outcome, since it may run no script.
 */
export function pinPadPage(c: PageContext & { card: InsertedCard; waiting: boolean }): string {
  const t = (key: TextKey, params?: Record<string, string>) => escape(text(c.lang, key, params));
  if (!c.waiting)
    return layout(
      c.lang,
      text(c.lang, 'pin.title'),
      `${asker(c)}
${cardLine(c.lang, c.card)}
<form method="post">${hidden(c)}
<button type="submit" name="pinpad" value="1" class="primary" autofocus>${t('pinpad.start')}</button>${cancelButton(c.lang)}
</form>
<p class="alert">${t('pin.only_here', { host: new URL(c.origin).host })}</p>`,
    );
  return layout(
    c.lang,
    text(c.lang, 'pinpad.title'),
    `${asker(c)}
${cardLine(c.lang, c.card)}
<p class="alert" role="status">${t('pinpad.body', { holder: c.card.holder, reader: c.card.reader })}</p>
<p class="hint">${t('pin.tries')}</p>
<form method="post">${hidden(c)}${cancelButton(c.lang)}</form>`,
    { refresh: true },
  );
}

export function outcomePage(lang: Language, title: string, message: string): string {
  return layout(lang, title, `<p role="status">${escape(message)}</p>`);
}

/** The first of the browser's languages (Accept-Language, in its order) the bridge speaks, else English. */
const browserLanguage = (accept = ''): Language =>
  accept
    .split(',')
    .map((part) => part.trim().slice(0, 2).toLowerCase())
    .find((l): l is Language => (LANGUAGES as readonly string[]).includes(l)) ?? 'en';

/**
 * The bridge's address opened in a browser (a help page's "check that it runs"): that it runs and whether it finds a
 * card, in the browser's language. The provider's pages read /status as JSON; a person is shown this instead.
 */
export function homePage(acceptLanguage: string | undefined, s: Status): string {
  const lang = browserLanguage(acceptLanguage);
  const card: TextKey = s.eidPresent ? 'home.card' : s.readers.length ? 'home.no_card' : 'home.no_reader';
  return layout(lang, text(lang, 'home.title'), `<p role="status">${escape(text(lang, card))}</p>\n<p>${escape(text(lang, 'home.body'))}</p>`);
}
