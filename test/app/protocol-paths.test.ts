// oidc-provider's fixed endpoints skip our routers; a path one of our routers also knows keeps going through them.
import Router from '@koa/router';
import Provider from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { exceptOn, protocolPaths } from '../../provider/app/protocol-paths.ts';

const provider = new Provider('https://idp.example.be', { features: { devInteractions: { enabled: false }, introspection: { enabled: true } } });

describe('protocol paths', () => {
  it('are the endpoints oidc-provider serves, not its resume path, nor an endpoint that is off', () => {
    const paths = protocolPaths(provider, []);
    for (const p of ['/auth', '/token', '/me', '/jwks', '/.well-known/openid-configuration', '/token/introspection', '/session/end']) {
      expect(paths).toContain(p);
    }
    expect(paths).not.toContain('/token/revocation');
    expect([...paths].some((p) => p.includes(':'))).toBe(false);
  });

  it('leave out a path a router of ours knows, whatever its method', () => {
    const ours = new Router().post('/me', () => undefined);
    expect(protocolPaths(provider, [ours])).not.toContain('/me');
  });

  it('pass a request by the middleware only on those paths', async () => {
    const seen: string[] = [];
    const middleware = exceptOn(new Set(['/token']), async (ctx: { path: string }, next: () => Promise<void>) => {
      seen.push(ctx.path);
      await next();
    });
    await middleware({ path: '/token' }, async () => undefined);
    await middleware({ path: '/login' }, async () => undefined);
    expect(seen).toEqual(['/login']);
  });
});
