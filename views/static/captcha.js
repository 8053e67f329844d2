// Starts the ALTCHA widget of a form: its texts in the page's language, its proof-of-work worker, all served by
// this site. The help next to the widget ("cannot see the check?") is shown by the server and hidden here once the
// widget runs; it comes back when the widget fails. So a blocked script or a browser too old for modules leaves
// the help in place instead of an empty box.
const help = () => document.querySelectorAll('[data-captcha-help]');

try {
  const lang = document.documentElement.lang;
  if (['nl', 'fr', 'de'].includes(lang)) await import(`/static/altcha/i18n-${lang}.js`);
  await import('/static/altcha/altcha.js');
  globalThis.$altcha.algorithms.set('PBKDF2/SHA-256', () => new Worker('/static/altcha/pbkdf2-worker.js'));
  const usable = window.isSecureContext && window.crypto?.subtle && window.Worker;
  for (const el of help()) el.hidden = Boolean(usable);
  for (const widget of document.querySelectorAll('altcha-widget')) {
    widget.addEventListener('statechange', (e) => {
      for (const el of help()) el.hidden = e.detail.state !== 'error';
    });
  }
} catch {
  for (const el of help()) el.hidden = false;
}
