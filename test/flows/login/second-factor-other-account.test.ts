// Found by an attack pass: the second step's passkey options are made for the account whose password was typed; a
// second password typed in the same login (the victim's, known to the attacker) moved the pending step to the victim,
// and the attacker's own passkey, answering the options made for the attacker, passed as the victim's second step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { discover } from '../../helpers/rp.ts';
import { b64url, softAuthenticator } from '../../helpers/soft-authenticator.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { browserBindingOf } from '../../../provider/domain/flow-state/binding.ts';
import { createPasskeyMethod } from '../../../provider/methods/passkey/webauthn.ts';
import { createSecondFactorStore } from '../../../provider/domain/second-factors/store.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { Agent, text } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const MODEL = '00000000-0000-0000-0000-000000000000';

describe("a second step answered with another account's passkey", () => {
  let idp: TestProvider;
  let strict: client.Configuration;
  let open: client.Configuration;
  const users: Record<string, User> = {};
  let attackerKey: ReturnType<typeof softAuthenticator>;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', {});
    const { db, hasher, provider } = idp.services;
    const passkeys = createPasskeyMethod(idp.services);
    const binding = browserBindingOf('t'.repeat(43));
    for (const username of ['victim', 'attacker']) {
      users[username] = await idp.services.users.create(db, {
        username,
        email: `${username}@example.be`,
        emailVerified: true,
        passwordHash: await hasher.hash(username === 'victim' ? PASSWORD : 'attacker own password 123'),
        status: 'active',
      });
    }
    // The victim protects the account with an authenticator app (TOTP) whose secret the attacker does not have.
    const factors = createSecondFactorStore(idp.services.config, db);
    await factors.start(db, users.victim!.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    await factors.confirm(db, users.victim!.id, 1);
    // The attacker's own account has an app too (so its login reaches the 'code' stage) and a passkey.
    await factors.start(db, users.attacker!.id, 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU');
    await factors.confirm(db, users.attacker!.id, 1);
    attackerKey = softAuthenticator(MODEL, idp.issuer);
    const { flow, options } = await passkeys.registrationOptions(db, users.attacker!, binding, 'en');
    await passkeys.register(db, users.attacker!, { flowId: flow, binding, response: attackerKey.register(options.challenge), name: 'Mine', locale: 'en' });
    const s = await createClient(provider(), { name: 'Tax portal', redirectUris: [REDIRECT], firstParty: true, requireMfa: true });
    strict = await discover(idp.issuer, s.client_id, s.client_secret);
    const o = await createClient(provider(), { name: 'Library', redirectUris: [REDIRECT], firstParty: true });
    open = await discover(idp.issuer, o.client_id, o.client_secret);
  });
  afterAll(() => idp?.close());

  const atCallback = (l: string) => l.startsWith(REDIRECT);

  for (const which of ['strict', 'open'] as const) {
    it(`refuses the attacker's passkey at the victim's second step (${which} app)`, async () => {
      const agent = new Agent(idp.issuer);
      const { page } = await agent.startAuthorization(which === 'strict' ? strict : open, REDIRECT, 'openid');
      const uid = /\/interaction\/([^/]+)/.exec(page.url)![1]!;
      // 1. attacker's own password: second step for the attacker's account.
      const own = await agent.submitLogin(page, 'attacker', 'attacker own password 123', atCallback);
      expect(own.url).toMatch(/\/second-factor$/);
      const path = /data-options="([^"]+)"/.exec(own.html)![1]!;
      const res = await agent.raw(path, { form: {} });
      const o = (await res.json()) as { flow: string; options: { challenge: string } };
      // 2. the victim's password in the same interaction: the pending step now names the victim.
      const loginPage = await agent.get(`/interaction/${uid}`);
      const victimStep = await agent.submitLogin(loginPage, 'victim', PASSWORD, atCallback);
      expect(victimStep.url).toMatch(/\/second-factor$/);
      expect(text(victimStep.html)).toContain('6-digit code');
      // 3. the attacker's passkey answers the attacker's options, posted at the victim's second step.
      const done = await agent.go(
        path.replace(/\/options$/, ''),
        { form: { flow: o.flow, response: JSON.stringify(attackerKey.assert(o.options.challenge, b64url(users.attacker!.id))) } },
        atCallback,
      );
      expect(atCallback(done.url)).toBe(false);
      expect([done.status, text(done.html)]).toEqual([404, expect.stringContaining('This page is no longer valid. Start again.')]);
      expect(await idp.db('audit_log').where({ event: 'second_factor.success' }).count({ n: '*' })).toEqual([{ n: 0 }]);
    });
  }
});
