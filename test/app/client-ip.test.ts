// Behind a reverse proxy (TRUST_PROXY=true) the client's address is the X-Forwarded-For entry the proxy appended,
// counted from the right (PROXY_HOPS): entries further left are whatever the client sent, and taking them would let
// anyone pick a new address for every guess and slip past every per-address limit.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { Agent } from '../flows/account/agent.ts';

let idp: TestProvider;
beforeAll(async () => {
  idp = await startTestProvider('pglite', { TRUST_PROXY: 'true', RATE_LIMIT_REACTIVATION: '100' });
});
afterAll(() => idp?.close());

/** Starts a reactivation (audited with the client's address) and returns the address the audit log holds. */
async function auditedIp(forwardedFor?: string): Promise<string> {
  const res = await fetch(`${idp.issuer}/eid/reactivation/nonce`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ mobile: '+32470123456' }),
  });
  expect(res.status).toBe(200);
  const row = await idp.db('audit_log').where({ event: 'reactivation.started' }).orderBy('id', 'desc').first('ip');
  return row.ip as string;
}

it('takes the address the proxy appended, not the one the client wrote before it', async () => {
  expect(await auditedIp('1.1.1.1, 203.0.113.9')).toBe('203.0.113.9');
  expect(await auditedIp('203.0.113.10')).toBe('203.0.113.10');
  expect(await auditedIp()).toBe('127.0.0.1');
});

it('understands an address the proxy wrote with its port, and refuses anything that is no address', async () => {
  expect(await auditedIp('203.0.113.11:51234')).toBe('203.0.113.11');
  expect(await auditedIp('1.1.1.1, [2001:db8::7]:443')).toBe('2001:db8::7');
  const audited = async () => Number((await idp.db('audit_log').count({ n: '*' }).first())!.n);
  const before = await audited();
  // What a client writes itself reaches the provider when PROXY_HOPS counts more proxies than there are.
  const zoned = ['fe80::1%Your.account.is.locked-call.0800-555-123', `::1%${'a'.repeat(5000)}`];
  for (const given of [
    '<b>staff</b>',
    'unknown',
    '203.0.113.300',
    '2001:db8::7]:443',
    '1.2.3.4:99999',
    '[1.2.3.4]:80',
    ',',
    '1.2.3.4, ',
    ...zoned,
    'x'.repeat(5000),
  ]) {
    for (const path of ['/self/login', '/.well-known/openid-configuration']) {
      const res = await fetch(`${idp.issuer}${path}`, { headers: { 'x-forwarded-for': given, accept: 'text/html' } });
      const body = await res.text();
      expect([res.status, body.includes('The request could not be completed')], `${path} ${given.slice(0, 20)}`).toEqual([400, true]);
      // Not shown back (a comma would be found anywhere).
      if (given.length > 3) expect(body).not.toContain(given);
    }
    const nonce = await fetch(`${idp.issuer}/eid/reactivation/nonce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': given },
      body: JSON.stringify({ mobile: '+32470123456' }),
    });
    expect(nonce.status).toBe(400);
  }
  expect(await audited()).toBe(before);
});

it("records a session's address without the port its proxy wrote", async () => {
  const { db, users, hasher } = idp.services;
  await users.create(db, { username: 'port.peeters', email: 'port@example.be', passwordHash: await hasher.hash('a long enough password'), status: 'active' });
  const browser = new Agent(idp.url);
  browser.headers['x-forwarded-for'] = '203.0.113.12:5555';
  expect((await browser.login('port.peeters', 'a long enough password')).url).toMatch(/\/account$/);
  expect((await db('session_devices').first('ip')).ip).toBe('203.0.113.12');
});
