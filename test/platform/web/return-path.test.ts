// The language switch sends the browser back where it came from, and only to a page of this site: addresses that
// become protocol-relative (//host) once the browser resolves dot segments, %2e or backslashes are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';

describe('return addresses', () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite')));
  afterAll(() => idp?.close());

  const switchTo = async (returnTo: string) => {
    const res = await fetch(`${idp.url}/language/en?${new URLSearchParams({ return_to: returnTo })}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return res.headers.get('location')!;
  };

  it.each([
    '/.//evil.example/x',
    '/%2e//evil.example/x',
    '/a/..//evil.example/x',
    '/\\evil.example/x',
    '/\t/evil.example/x',
    '//evil.example/x',
    'https://evil.example/x',
  ])('never leaves the site for %j', async (returnTo) => {
    const location = await switchTo(returnTo);
    // Where the browser really goes: the Location resolved against the page's own address.
    expect(new URL(location, idp.url).origin).toBe(idp.url);
    expect(location).toMatch(/^\/(?![/\\])/);
  });

  it('goes back to a page of the site, without its ui_locales', async () => {
    expect(await switchTo('/registration/open?ui_locales=fr&x=1')).toBe('/registration/open?x=1');
    expect(await switchTo('/a/../account')).toBe('/account');
  });
});
