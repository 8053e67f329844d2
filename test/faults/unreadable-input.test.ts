// What a browser never sends, in a field nobody types (a language's choice, an alert's box, an address's query) or
// one they do: a NUL, bytes that are not UTF-8 (an overlong "/", half a surrogate pair), a box's value twice. Each got
// the generic "Some fields are missing or not valid. Check them" page, or was stored as "�", or turned alerts off
// and said they were saved. Each now changes nothing and says so, in the person's language: at the field they typed,
// or else on a page telling them to reload it. A body too large says the same, from our pages and the protocol's,
// and an address too long to read is answered with a page rather than node's bare 431.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { Agent, text } from '../flows/account/agent.ts';
import { loggedInPerson } from '../flows/account/people.ts';
import { translate } from '../../provider/platform/web/i18n.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';
const UNREADABLE = {
  nl: 'Een deel van wat uw browser verstuurde, kon niet gelezen worden. Er is dus niets gewijzigd. Laad de pagina opnieuw en probeer het nog eens; kwam u via een link, begin dan opnieuw vanuit de toepassing.',
  en: 'Part of what your browser sent could not be read, so nothing was changed. Reload the page and try again; if you came from a link, start again from the application.',
};
const TOO_LARGE = {
  nl: 'Wat u verstuurde is te groot. Er is niets gewijzigd: maak wat u typte korter en verstuur het opnieuw.',
  en: 'What you sent is too large. Nothing was changed: shorten what you typed and send it again.',
};
const CHARACTERS = 'Use visible characters only: control and text-direction characters cannot be used here.';
/** Two megabytes of one field. */
const HUGE = `a=${'x'.repeat(2_000_000)}`;

describe('input no browser sends', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', CAPTCHA: 'off' });
  });
  afterAll(() => idp?.close());

  const cookieOf = (agent: Agent) => [...agent.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  /** `fields` sent as they are, escapes and all, with the agent's form token. */
  async function send(agent: Agent, method: 'GET' | 'POST', path: string, fields = '') {
    const res = await fetch(new URL(path, idp.issuer), {
      method,
      redirect: 'manual',
      headers: { cookie: cookieOf(agent), 'content-type': 'application/x-www-form-urlencoded', ...agent.headers },
      ...(method === 'POST' ? { body: `_csrf=${encodeURIComponent(agent.jar.get('csrf') ?? '')}&${fields}` } : {}),
    });
    return { status: res.status, text: text(await res.text()) };
  }
  const emailAlertsOn = async (agent: Agent) => /id="alerts-email"[^>]*checked/.test((await agent.get('/account/alerts')).html);

  it('in a field nobody types, changes nothing and says to reload the page, in the person’s language', async () => {
    const { agent, user } = await loggedInPerson(idp, 'lotte', PASSWORD, { locale: 'nl' });
    agent.headers['accept-language'] = 'nl';
    await agent.post('/account/alerts', { email: 'on' });
    expect(await emailAlertsOn(agent)).toBe(true);

    for (const [path, fields] of [
      ['/account/language', 'locale=fr%00'],
      ['/account/language', 'locale=fr%C0%AF'],
      ['/account/alerts', 'email=on&email=on'],
      ['/account/alerts', 'email=%ED%A0%80'],
      ['/account/alerts', 'email=yes'],
    ] as const) {
      const answer = await send(agent, 'POST', path, fields);
      expect([path, fields, answer.status, answer.text]).toEqual([path, fields, 400, expect.stringContaining(UNREADABLE.nl)]);
    }
    expect((await idp.services.users.findById(idp.db, user.id))!.locale).toBe('nl');
    expect(await emailAlertsOn(agent)).toBe(true);
  });

  it('in an address’s query, on a page and at a login’s start, gets that page, not the one asking to check fields', async () => {
    const agent = new Agent(idp.issuer);
    for (const path of ['/recovery?return_to=%2Faccount%00', '/recovery?return_to=%2Faccount%C0%AF', '/registration?x=%ED%A0%80']) {
      const answer = await send(agent, 'GET', path);
      expect([path, answer.status, answer.text]).toEqual([path, 400, expect.stringContaining(UNREADABLE.en)]);
    }
  });

  it('in an address too long to read, gets a page saying so, not an empty answer', async () => {
    // Past node's limit on a request's head (16 KB): node itself answered 431 with nothing for a browser to show.
    const answer = await fetch(`${idp.issuer}/recovery?return_to=${'x'.repeat(100_000)}`);
    const locale = idp.services.config.defaultLocale;
    expect([answer.status, answer.headers.get('content-type'), text(await answer.text())]).toEqual([
      431,
      'text/html; charset=utf-8',
      expect.stringContaining(translate(locale, 'error.address_too_long')),
    ]);
    // The server goes on answering.
    expect((await fetch(`${idp.issuer}/recovery`)).status).toBe(200);
  });

  it('in a field the person typed, is that field’s problem and nothing is stored', async () => {
    const { agent, user } = await loggedInPerson(idp, 'bram', PASSWORD, { locale: 'en', givenName: 'Bram', familyName: 'Peeters' });
    for (const odd of ['%C0%AF', '%ED%A0%80', 'Br%FFam']) {
      const answer = await send(agent, 'POST', '/account/profile', `given_name=${odd}&family_name=Peeters`);
      expect([odd, answer.status, answer.text]).toEqual([odd, 400, expect.stringContaining(CHARACTERS)]);
    }
    expect((await idp.services.users.findById(idp.db, user.id))!.given_name).toBe('Bram');
  });

  it('too large, gets a 413 saying nothing was changed: a page for a browser, JSON for a program, from our pages and the protocol’s', async () => {
    const post = (path: string, accept: string) =>
      fetch(`${idp.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept, 'accept-language': 'nl' },
        body: HUGE,
      });
    for (const path of ['/recovery', '/session/end/confirm']) {
      const page = await post(path, 'text/html');
      expect([path, page.status, page.headers.get('content-type'), text(await page.text())]).toEqual([
        path,
        413,
        'text/html; charset=utf-8',
        expect.stringContaining(TOO_LARGE.nl),
      ]);
    }
    for (const path of ['/recovery', '/token', '/token/introspection']) {
      const json = await post(path, 'application/json');
      expect([path, json.status, await json.json()]).toEqual([path, 413, { error: 'payload_too_large', message: TOO_LARGE.en }]);
    }
  });
});
