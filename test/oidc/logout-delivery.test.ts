// Logout tokens and private networks: a backchannel_logout_uri on a private, loopback or link-local address is refused
// at registration when it names one, and at delivery when its host name resolves to one (a refusal not retried), unless
// BACKCHANNEL_LOGOUT_PRIVATE_HOSTS names the host or its network. Outside production, loopback stays allowed. A logout
// the outbox holds for an address no longer allowed is given up at its first attempt, not retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../helpers/services.ts';
import { startHttpSink, type HttpSink } from '../helpers/http-sink.ts';
import { loadConfig, type Config } from '../../provider/app/settings.ts';
import type { Services } from '../../provider/app/server.ts';
import { buildProvider } from '../../provider/oidc/provider.ts';
import { loadJwks } from '../../provider/oidc/keys.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { asLogoutDelivery, logoutDelivery, privateAddressRefusal } from '../../provider/oidc/logout-delivery.ts';
import { createLogoutTransport } from '../../provider/oidc/backchannel-logout.ts';
import { enqueueLogout } from '../../provider/domain/messaging/outbox.ts';
import { createOutboxWorker } from '../../provider/domain/messaging/worker.ts';
import type { Db } from '../../provider/platform/db/knex.ts';

const SETTING = 'BACKCHANNEL_LOGOUT_PRIVATE_HOSTS';

describe('logout tokens and private networks', () => {
  let db: Db;
  let services: Services;
  let app: HttpSink;

  beforeAll(async () => {
    ({ db, services } = await testServices());
    app = await startHttpSink();
  });
  afterAll(async () => {
    await app?.stop();
    await db?.destroy();
  });

  const production = (hosts: string) => ({
    ...services.config,
    production: true,
    backchannelLogoutPrivateHosts: loadConfig({ [SETTING]: hosts }).backchannelLogoutPrivateHosts,
  });

  const providerOf = async (config: Config) => buildProvider({ config, db, users: services.users, jwks: await loadJwks(db), cookieKeys: services.cookieKeys });
  const register = async (config: Config, uri: string) =>
    createClient(await providerOf(config), { name: 'Intranet portal', redirectUris: ['https://intranet.example.be/cb'], backchannelLogoutUri: uri });

  /** One logout token's request as oidc-provider makes it, through the provider's fetch. */
  const deliver = (config: Pick<Config, 'production' | 'backchannelLogoutPrivateHosts'>, url: string) =>
    asLogoutDelivery(() =>
      logoutDelivery(config).fetch(url, { method: 'POST', body: 'logout_token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    );

  it('reads the setting as host names, addresses and networks, and refuses anything else', () => {
    expect(loadConfig({ [SETTING]: 'App.Intranet.example, 10.20.0.0/16, fd00::/8, 192.168.1.5' }).backchannelLogoutPrivateHosts).toEqual([
      'app.intranet.example',
      '10.20.0.0/16',
      'fd00::/8',
      '192.168.1.5',
    ]);
    for (const wrong of ['10.0.0.0/33', 'http://app.intranet', 'app/16', '10.0.0.0/8/8']) expect(() => loadConfig({ [SETTING]: wrong })).toThrow(SETTING);
    expect(loadConfig({}).backchannelLogoutPrivateHosts).toEqual([]);
  });

  it('refuses at registration a URI on a private address in production, with a message naming the setting', async () => {
    for (const uri of ['https://10.1.2.3/logout', 'https://[fd00::1]/logout', 'https://169.254.169.254/logout', 'https://localhost/logout']) {
      await expect(register(production(''), uri)).rejects.toMatchObject({
        error: 'invalid_client_metadata',
        error_description: expect.stringMatching(
          /is a private network address: logout tokens are sent there only when BACKCHANNEL_LOGOUT_PRIVATE_HOSTS names it$/,
        ),
      });
    }
    // A host name is judged at delivery, by the address it then resolves to.
    await expect(register(production(''), 'https://portal.intranet.example/logout')).resolves.toMatchObject({ client_id: expect.any(String) });
    await expect(register(production('10.0.0.0/8'), 'https://10.1.2.3/logout')).resolves.toMatchObject({ client_id: expect.any(String) });
    await expect(register(production('localhost'), 'https://localhost/logout')).resolves.toMatchObject({ client_id: expect.any(String) });
  });

  it('refuses at delivery an address the setting does not allow, and delivers where it does', async () => {
    const port = new URL(app.url).port;
    const byAddress = deliver(production(''), `http://127.0.0.1:${port}/logout`);
    await expect(byAddress).rejects.toThrow(`127.0.0.1 is a private network address: logout tokens are sent there only when ${SETTING} names it`);
    // A host name resolving to a private address: refused at the connection, by the address it is made to.
    const byName = await deliver(production(''), `http://localhost:${port}/logout`).catch((e: unknown) => e);
    expect(privateAddressRefusal(byName)?.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is a private network address/);
    expect(app.requests).toHaveLength(0);

    expect((await deliver(production('127.0.0.0/8'), `http://127.0.0.1:${port}/logout`)).status).toBe(200);
    expect((await deliver(production('localhost'), `http://localhost:${port}/logout`)).status).toBe(200);
    // Outside production the app's own machine is allowed without the setting, where an app under development listens.
    expect((await deliver({ production: false, backchannelLogoutPrivateHosts: [] }, `http://127.0.0.1:${port}/logout`)).status).toBe(200);
    expect(app.requests.map((r) => r.body)).toEqual(['logout_token=x', 'logout_token=x', 'logout_token=x']);
  });

  it('gives up at once, audited, a logout the outbox holds for an address the setting no longer allows', async () => {
    // Registered while the operator allowed the app's network, which the setting has since stopped naming.
    const uri = `https://127.0.0.1:${new URL(app.url).port}/logout`;
    const { client_id: client } = await register(production('127.0.0.0/8'), uri);
    const provider = await providerOf(production(''));
    const user = await services.users.create(db, { username: 'ines', email: 'ines@example.be', emailVerified: true, status: 'active' });
    await enqueueLogout(db, { clientId: client, sub: user.sub, sid: 'sid-of-ines' });
    const before = app.requests.length;

    const worker = createOutboxWorker({
      db,
      transports: { logout: createLogoutTransport(() => provider, db, services.users) },
      pollMs: 10,
      maxAttempts: 5,
      backoff: { baseMs: 10, maxMs: 10 },
    });
    await worker.drain();
    const error = `${client}: 127.0.0.1 is a private network address: logout tokens are sent there only when ${SETTING} names it`;
    expect(await db('outbox').where({ channel: 'logout', reference: 'sid-of-ines' }).first('status', 'attempts', 'last_error')).toEqual({
      status: 'failed',
      attempts: 1,
      last_error: error,
    });
    expect(await db('audit_log').whereLike('event', 'backchannel_logout.%').select('event', 'user_id', 'details')).toEqual([
      { event: 'backchannel_logout.gave_up', user_id: user.id, details: { client, sid: 'sid-of-ines', attempt: 1, error } },
    ]);
    expect(app.requests).toHaveLength(before);
  });
});
