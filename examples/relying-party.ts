// The smallest relying app, to see a login through the provider end to end: `npm run example-app` with the client_id
// and client_secret that `idp clients create --redirect-uri http://localhost:8080/callback` printed, then open
// http://localhost:8080. It logs in with the authorization code flow and PKCE (openid-client), and shows what the
// provider said about the person: the ID token's claims and the userinfo answer. Not for production: it keeps its
// pending logins in memory and serves plain HTTP.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';

const { CLIENT_ID, CLIENT_SECRET } = process.env;
const ISSUER = process.env.ISSUER ?? 'http://localhost:3000';
const PORT = Number(process.env.EXAMPLE_PORT ?? 8080);
const REDIRECT_URI = `http://localhost:${PORT}/callback`;
if (!CLIENT_ID) {
  console.error(
    `Set CLIENT_ID (and CLIENT_SECRET for a confidential app) to what this printed:\n  npx idp clients create --name "Example app" --redirect-uri ${REDIRECT_URI} --first-party`,
  );
  process.exit(2);
}

// A provider on http://localhost is for development; openid-client asks for https unless told otherwise.
const insecure = new URL(ISSUER).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
// Started before the provider (or with it stopped), the app would end in a stack trace: say what to do instead.
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, CLIENT_SECRET ? undefined : client.None(), insecure).catch((e: unknown) => {
  const why = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
  console.error(`Cannot reach the provider at ${ISSUER} (${why}). Start it first (npm start, in another terminal), or set ISSUER to where it runs.`);
  process.exit(1);
});

// Where a person goes from the page that shows the claims: her own pages at the provider, or out (the provider asks
// whether to log out of every app, then shows its own page).
const logoutUrl = new URL('/session/end', ISSUER);
logoutUrl.searchParams.set('client_id', CLIENT_ID);
const onward = `<p id="onward"><a href="${new URL('/account', ISSUER).href}">Your account at the provider</a> · <a href="${logoutUrl.href.replace(/&/g, '&amp;')}">Log out</a></p>`;

/** The PKCE verifier and the state of each login under way, by the random id in its cookie. */
const pending = new Map<string, { verifier: string; state: string }>();
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (body: string) => `<!doctype html><html lang="en"><meta charset="utf-8"><title>Example app</title><body><h1>Example app</h1>${body}</body></html>`;

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://localhost:${PORT}`);
  const id = /(?:^|;\s*)login=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  try {
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page('<p><a href="/login">Log in</a></p>'));
    } else if (url.pathname === '/login') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const login = randomBytes(16).toString('base64url');
      pending.set(login, { verifier, state });
      const to = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      res.writeHead(303, { location: to.href, 'set-cookie': `login=${login}; Path=/; HttpOnly; SameSite=Lax` }).end();
    } else if (url.pathname === '/callback') {
      const login = id ? pending.get(id) : undefined;
      if (!login) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('<p>No login under way here. <a href="/login">Log in</a></p>'));
        return;
      }
      pending.delete(id!);
      const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: login.verifier, expectedState: login.state });
      const claims = tokens.claims()!;
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      const shown = (o: object) => `<pre>${escape(JSON.stringify(o, null, 2))}</pre>`;
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          page(
            `<p id="who">Logged in as ${escape(String(userinfo.preferred_username ?? userinfo.name ?? userinfo.email ?? claims.sub))}</p>${onward}<h2>ID token</h2>${shown(claims)}<h2>Userinfo</h2>${shown(userinfo)}`,
          ),
        );
    } else {
      res.writeHead(404).end();
    }
  } catch (e) {
    res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' }).end(page(`<p>The login failed: ${escape(String((e as Error).message))}</p>`));
  }
}).listen(PORT, 'localhost', () => console.log(`Example app on http://localhost:${PORT} (provider ${ISSUER})`));
