// The provider as the upstream's relying party, against a scripted upstream: discovery, the code exchange and the
// ID token checks (state, nonce), and every way an upstream fails, each mapped to its own page-worthy error. Also
// the subject key of each subject claim, and the encryption of client secrets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createUpstreamClient } from '../../../provider/methods/upstream/oidc-client.ts';
import { identityOf } from '../../../provider/methods/upstream/identity.ts';
import { secretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import { upstreamInput, type Upstream } from '../../../provider/domain/upstreams/repository.ts';
import { nationalNumberHmac } from '../../../provider/eid/national-number-hmac.ts';
import type { AppError } from '../../../provider/platform/errors.ts';

const CLIENT_ID = 'belid';
const SECRET = 'the client secret at the bank';
const REDIRECT = 'https://id.example.be/upstream/callback';
const box = secretBox('k'.repeat(32));

/** A scripted upstream: what discovery and the token endpoint answer is set by each test. */
async function fakeUpstream() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const script = { discovery: 'ok' as 'ok' | 'down' | 'garbage', nonce: undefined as string | undefined, tokenRequests: 0 };
  let issuer = '';
  const server = http.createServer(async (req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      if (script.discovery === 'down') return json(503, { error: 'maintenance' });
      if (script.discovery === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>Welcome to our bank</html>');
      }
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.url === '/jwks') return json(200, { keys: [jwk] });
    if (req.url === '/token') {
      script.tokenRequests++;
      const idToken = await new SignJWT({ nonce: script.nonce, email: 'jan@bank.example', email_verified: true, acr: 'urn:bank:loa:high' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(CLIENT_ID)
        .setSubject('bank-user-1')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      return json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const upstream: Upstream = {
    slug: 'bank',
    name: 'My Bank',
    issuer,
    clientId: CLIENT_ID,
    sealedSecret: box.seal(SECRET, 'bank'),
    scopes: 'openid email',
    subjectClaim: 'sub',
    uses: ['login', 'link', 'reactivation'],
    logoUrl: null,
    acrFromUpstream: false,
    trustNationalNumber: false,
    enabled: true,
  };
  return { script, issuer, upstream, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a failure');
}

describe('upstream OpenID client', () => {
  let bank: Awaited<ReturnType<typeof fakeUpstream>>;
  beforeAll(async () => {
    bank = await fakeUpstream();
  });
  afterAll(() => bank?.close());

  it('sends PKCE, state and nonce, and accepts an answer that matches them', async () => {
    const client = createUpstreamClient(async () => box);
    const { url, checks } = await client.begin(bank.upstream, REDIRECT);
    expect(url.origin + url.pathname).toBe(`${bank.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid email',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge_method: 'S256',
    });
    bank.script.nonce = checks.nonce;
    const claims = await client.finish(bank.upstream, new URL(`${REDIRECT}?code=c1&state=${checks.state}`), checks);
    expect(claims).toMatchObject({ sub: 'bank-user-1', email: 'jan@bank.example', acr: 'urn:bank:loa:high' });
  });

  it('refuses an ID token whose nonce is not the one sent, and an answer whose state is not', async () => {
    const client = createUpstreamClient(async () => box);
    const { checks } = await client.begin(bank.upstream, REDIRECT);
    bank.script.nonce = 'a nonce from another login';
    const nonce = await failure(client.finish(bank.upstream, new URL(`${REDIRECT}?code=c2&state=${checks.state}`), checks));
    expect([nonce.code, nonce.status, nonce.params]).toEqual(['upstream_not_verified', 400, { name: 'My Bank' }]);

    bank.script.nonce = checks.nonce;
    const before = bank.script.tokenRequests;
    const state = await failure(client.finish(bank.upstream, new URL(`${REDIRECT}?code=c3&state=tampered`), checks));
    expect([state.code, state.status]).toEqual(['upstream_not_verified', 400]);
    // The code was never sent to the bank.
    expect(bank.script.tokenRequests).toBe(before);
  });

  it('says the login was cancelled when the upstream answers access_denied', async () => {
    const client = createUpstreamClient(async () => box);
    const { checks } = await client.begin(bank.upstream, REDIRECT);
    const e = await failure(client.finish(bank.upstream, new URL(`${REDIRECT}?error=access_denied&state=${checks.state}`), checks));
    expect([e.code, e.status]).toEqual(['upstream_cancelled', 400]);
  });

  it('tells an upstream that is down (503 or no answer) from one that answers nonsense, and asks again later', async () => {
    const client = createUpstreamClient(async () => box);
    bank.script.discovery = 'down';
    expect((await failure(client.begin(bank.upstream, REDIRECT))).code).toBe('upstream_unavailable');
    bank.script.discovery = 'garbage';
    const garbage = await failure(client.begin(bank.upstream, REDIRECT));
    expect([garbage.code, garbage.status]).toEqual(['upstream_bad_answer', 502]);
    // A failed discovery is not cached: once the bank is back, it works.
    bank.script.discovery = 'ok';
    await client.begin(bank.upstream, REDIRECT);

    const nowhere = await failure(
      client.begin({ ...bank.upstream, slug: 'gone', sealedSecret: box.seal(SECRET, 'gone'), issuer: 'http://127.0.0.1:9' }, REDIRECT),
    );
    expect([nowhere.code, nowhere.status]).toEqual(['upstream_unavailable', 503]);
  });

  it('reports a bank that went down between the redirect and the callback as unavailable', async () => {
    const other = await fakeUpstream();
    const client = createUpstreamClient(async () => box);
    const { checks } = await client.begin(other.upstream, REDIRECT);
    await other.close();
    const e = await failure(client.finish(other.upstream, new URL(`${REDIRECT}?code=c4&state=${checks.state}`), checks));
    expect([e.code, e.status]).toEqual(['upstream_unavailable', 503]);
  });
});

describe('upstream configuration', () => {
  const base = { slug: 'bank', name: 'My Bank', clientId: 'c', clientSecret: 's' };

  it('accepts https issuers, and plain http only on this machine', () => {
    expect(upstreamInput.safeParse({ ...base, issuer: 'https://login.bank.example' }).success).toBe(true);
    expect(upstreamInput.safeParse({ ...base, issuer: 'http://localhost:4000' }).success).toBe(true);
    expect(upstreamInput.safeParse({ ...base, issuer: 'http://127.0.0.1:4000' }).success).toBe(true);
    expect(upstreamInput.safeParse({ ...base, issuer: 'http://login.bank.example' }).success).toBe(false);
    expect(upstreamInput.safeParse({ ...base, issuer: 'https://login.bank.example', scopes: 'profile' }).success).toBe(false);
  });

  it('keeps client secrets encrypted, bound to their upstream', () => {
    const sealed = box.seal(SECRET, 'bank');
    expect(sealed).not.toContain(SECRET);
    expect(box.open(sealed, 'bank')).toBe(SECRET);
    expect(() => box.open(sealed, 'other-bank')).toThrow();
    expect(() => secretBox('x'.repeat(32)).open(sealed, 'bank')).toThrow();
  });
});

describe('the subject key of an upstream identity', () => {
  const key = 'n'.repeat(32);
  const claims = {
    sub: 'bank-user-1',
    email: 'Jan@Bank.Example',
    email_verified: true,
    given_name: 'Jan',
    family_name: 'Peeters',
    national_number: '85.07.30-033.28',
    acr: 'loa3',
  };

  it('is the sub, the verified e-mail address, or the HMAC of the national number as the eID flow keeps it', () => {
    expect(identityOf(claims, 'sub', () => key)).toMatchObject({
      subjectKey: 'bank-user-1',
      label: 'Jan Peeters',
      email: 'jan@bank.example',
      acr: 'loa3',
      nationalNumberHmac: null,
    });
    expect(identityOf(claims, 'email', () => key)).toMatchObject({ subjectKey: 'jan@bank.example', label: 'jan@bank.example' });
    const nn = identityOf(claims, 'national_number', () => key);
    expect(nn.subjectKey).toBe(nationalNumberHmac('85073003328', key));
    expect(nn.nationalNumberHmac).toBe(nn.subjectKey);
    expect(JSON.stringify(nn)).not.toContain('85');
    expect(nn.label).toBe('Jan Peeters');
  });

  it('refuses an unverified e-mail address and a missing or malformed national number', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as AppError).code;
      }
    };
    expect(code(() => identityOf({ ...claims, email_verified: false }, 'email', () => key))).toBe('upstream_claim_missing');
    expect(code(() => identityOf({ sub: 'x' }, 'national_number', () => key))).toBe('upstream_claim_missing');
    expect(code(() => identityOf({ sub: 'x', national_number: '123' }, 'national_number', () => key))).toBe('upstream_claim_missing');
    expect(identityOf({ ...claims, email_verified: false }, 'sub', () => key).email).toBeNull();
  });
});
