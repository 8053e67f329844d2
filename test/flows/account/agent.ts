// A browser without a browser: fetch with a cookie jar, following redirects by hand, so the account pages can be
// driven over plain HTTP (faster than Chromium for the many form posts of these suites). Logging in goes through
// the real /self/login → /auth → login page → /self/callback chain.
import * as client from 'openid-client';
import { cookieSigner } from '../../../provider/platform/web/cookie-signer.ts';

export interface Response {
  status: number;
  url: string;
  html: string;
}

export class Agent {
  readonly jar = new Map<string, string>();
  /** Sent with every request: `x-forwarded-for` gives the agent its own address on a provider with TRUST_PROXY. */
  readonly headers: Record<string, string> = {};
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  private remember(res: globalThis.Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  private cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect followed. */
  async raw(path: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<globalThis.Response> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { cookie: this.cookieHeader(), 'accept-language': 'en', ...this.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ _csrf: this.jar.get('csrf') ?? '', ...init.form }).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.remember(res);
    return res;
  }

  /** Follows redirects (GET after each) until a page, or until `stopAt` matches a Location. */
  async go(path: string, init: { form?: Record<string, string> } = {}, stopAt?: (location: string) => boolean): Promise<Response> {
    let res = await this.raw(path, init);
    let url = new URL(path, this.base).href;
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 15) throw new Error(`too many redirects from ${path}`);
      url = new URL(res.headers.get('location')!, url).href;
      if (stopAt?.(url)) return { status: res.status, url, html: '' };
      res = await this.raw(url);
    }
    return { status: res.status, url, html: await res.text() };
  }

  get(path: string) {
    return this.go(path);
  }

  post(path: string, form: Record<string, string>) {
    return this.go(path, { form });
  }

  /** Logs in to the account pages with a password, through the provider's own login page. */
  async login(identifier: string, password: string, returnTo = '/account'): Promise<Response> {
    const page = await this.get(`/self/login?return_to=${encodeURIComponent(returnTo)}`);
    return this.submitLogin(page, identifier, password);
  }

  /** Fills the login page the agent is on. */
  async submitLogin(page: Response, identifier: string, password: string, stopAt?: (location: string) => boolean): Promise<Response> {
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)?.[1];
    if (!action) throw new Error(`not a login page: ${page.url}\n${page.html.slice(0, 500)}`);
    return this.go(action, { form: { identifier, password } }, stopAt);
  }

  /**
   * A relying app's authorization request in this agent's session: the page it stops at (the login page, a second
   * step, or the app's callback), and how the app then gets its tokens from the callback it reached.
   */
  async startAuthorization(config: client.Configuration, redirectUri: string, scope: string, params: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...params,
    });
    return {
      page: await this.go(url.href, {}, (l) => l.startsWith(redirectUri)),
      tokens: (at: Response) => client.authorizationCodeGrant(config, new URL(at.url), { pkceCodeVerifier: verifier, expectedState: state }),
    };
  }

  /** An authorization code flow of a relying app in this agent's login session; returns its tokens. */
  async authorize(
    config: client.Configuration,
    redirectUri: string,
    scope: string,
    credentials?: { identifier: string; password: string },
    params: Record<string, string> = {},
  ) {
    const atCallback = (l: string) => l.startsWith(redirectUri);
    const started = await this.startAuthorization(config, redirectUri, scope, params);
    let r = started.page;
    if (!atCallback(r.url) && credentials) r = await this.submitLogin(r, credentials.identifier, credentials.password, atCallback);
    if (!atCallback(r.url)) throw new Error(`no callback; at ${r.url}: ${r.html.slice(0, 300)}`);
    return started.tokens(r);
  }
}

/** The text of a page without tags, whitespace collapsed: what a person reads. */
export const text = (html: string) =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

/** What a page's form-error summary (#form-error) says, as read. */
export const formSummary = (html: string) => text(/id="form-error">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '');

/** Gives `agent` the cookie `name`, signed as the provider signs its cookies (cookie-signer.ts) under `cookieKey`. */
export function setSignedCookie(agent: Agent, cookieKey: string, name: string, value: string): void {
  agent.jar.set(name, value);
  agent.jar.set(`${name}.sig`, cookieSigner([cookieKey]).sign(`${name}=${value}`));
}

/** Another browser holding `agent`'s cookies, its login to the account pages `seconds` older (signed under `cookieKey`). */
export function withOlderLogin(agent: Agent, cookieKey: string, seconds: number): Agent {
  const older = new Agent(agent.base);
  for (const [k, v] of agent.jar) older.jar.set(k, v);
  const session = JSON.parse(older.jar.get('self')!) as { authTime: number };
  setSignedCookie(older, cookieKey, 'self', JSON.stringify({ ...session, authTime: session.authTime - seconds }));
  return older;
}
