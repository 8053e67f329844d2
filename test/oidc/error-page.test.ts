// The protocol's error page, where a person lands with an expired login, a login resumed without its cookie, or the Back button
// after a finished login (again at each reload): it says what happened and offers a way on, the account pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { text } from '../flows/account/agent.ts';

describe("the protocol's error page", () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite')));
  afterAll(() => idp?.close());

  it('says what happened and links to the account pages', async () => {
    const cases: [string, string][] = [
      ['/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example.be%2Fcb', 'Go back to the application and try again.'],
      ['/auth/a-login-long-gone', 'authorization request has expired'],
    ];
    for (const [path, message] of cases) {
      const res = await fetch(`${idp.issuer}${path}`, { headers: { accept: 'text/html' } });
      const html = await res.text();
      expect([res.status, text(html)], path).toEqual([400, expect.stringContaining(message)]);
      expect(html, path).toContain('<a href="/account">My account</a>');
    }
  });
});
