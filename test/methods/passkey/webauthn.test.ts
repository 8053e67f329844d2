// The passkey method against a software authenticator (P-256, "none" attestation) that answers exactly as the
// server's checks expect, so that each refusal below has one cause: a spent or foreign challenge, another origin, an
// authenticator model not on PASSKEY_AAGUIDS, a signature counter that went back, a user handle of someone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../helpers/db.ts';
import { b64url, softAuthenticator as soft } from '../../helpers/soft-authenticator.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { createServices, type Services } from '../../../provider/app/server.ts';
import { browserBindingOf } from '../../../provider/domain/flow-state/binding.ts';
import { createPasskeyMethod, type PasskeyMethod } from '../../../provider/methods/passkey/webauthn.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

const ISSUER = 'https://id.example.be';
const MODEL = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
const softAuthenticator = (aaguid: string, origin = ISSUER) => soft(aaguid, origin, new URL(ISSUER).hostname);
describe('the passkey method', () => {
  let db: Db;
  let services: Services;
  let method: PasskeyMethod;
  let user: User;
  const here = browserBindingOf('a'.repeat(43));
  const elsewhere = browserBindingOf('b'.repeat(43));
  const handleOf = (u: User) => b64url(u.id);

  beforeAll(async () => {
    ({ db } = await testDb('pglite'));
    const config = loadConfig({ NODE_ENV: 'test', ISSUER, PASSKEY_AAGUIDS: MODEL.toUpperCase(), PASSKEY_EXTRA_ORIGINS: 'https://login.example.be/' });
    services = await createServices(config, db);
    method = createPasskeyMethod(services);
    user = await services.users.create(db, { username: 'jan', email: 'jan@example.be', emailVerified: true, status: 'active' });
  });
  afterAll(() => db?.destroy());

  async function register(authenticator: ReturnType<typeof softAuthenticator>, binding = here) {
    const { flow, options } = await method.registrationOptions(db, user, here, 'en');
    return method.register(db, user, { flowId: flow, binding, response: authenticator.register(options.challenge), name: 'Laptop', locale: 'en' });
  }
  async function login(authenticator: ReturnType<typeof softAuthenticator>, handle = handleOf(user)) {
    const { flow, options } = await method.authenticationOptions(db, here, { uid: 'x' });
    return method.authenticate(db, { flowId: flow, binding: here, response: authenticator.assert(options.challenge, handle), owner: () => true });
  }
  const events = (event: string) => db('audit_log').where({ event }).orderBy('id');

  it('takes its relying party from ISSUER, and its origins from ISSUER and PASSKEY_EXTRA_ORIGINS', () => {
    expect(method.relyingParty).toEqual({ id: 'id.example.be', origins: [ISSUER, 'https://login.example.be'] });
  });

  it('asks for a discoverable passkey that verifies its user, and an attestation when models are required', async () => {
    const { options } = await method.registrationOptions(db, user, here, 'en');
    expect(options).toMatchObject({
      rp: { id: 'id.example.be' },
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      user: { id: handleOf(user) },
    });
    expect(Buffer.from(options.challenge, 'base64url')).toHaveLength(32);
  });

  it('refuses an authenticator model not on PASSKEY_AAGUIDS, and audits it', async () => {
    await expect(register(softAuthenticator('00000000-0000-0000-0000-000000000001'))).rejects.toMatchObject({ code: 'passkey_model' });
    expect((await events('passkey.refused')).at(-1).details).toMatchObject({ reason: 'model' });
    expect(await db('passkeys')).toHaveLength(0);
  });

  it('refuses the answer of another browser, and a challenge answered twice', async () => {
    const authenticator = softAuthenticator(MODEL);
    await expect(register(authenticator, elsewhere)).rejects.toMatchObject({ code: 'flow_elsewhere' });
    const { flow, options } = await method.registrationOptions(db, user, here, 'en');
    const answer = authenticator.register(options.challenge);
    await method.register(db, user, { flowId: flow, binding: here, response: answer, name: 'Laptop', locale: 'en' });
    await expect(method.register(db, user, { flowId: flow, binding: here, response: answer, name: 'Laptop', locale: 'en' })).rejects.toMatchObject({
      code: 'passkey_challenge_used',
    });
    expect(await db('passkeys')).toHaveLength(1);
  });

  it('refuses an answer from an origin it does not accept', async () => {
    await expect(register(softAuthenticator(MODEL, 'https://phishing.example'))).rejects.toMatchObject({ code: 'passkey_invalid' });
  });

  it('logs in, counts the signatures, and refuses a counter that went back as a clone', async () => {
    const authenticator = softAuthenticator(MODEL);
    const passkey = await register(authenticator);
    const { user: who } = await login(authenticator);
    expect(who.id).toBe(user.id);
    await login(authenticator);
    const used = await db('passkeys').where({ id: passkey.id }).first();
    expect([Number(used.counter), used.last_used_at]).toEqual([2, expect.any(Date)]);

    authenticator.counter = 1;
    await expect(login(authenticator)).rejects.toMatchObject({ code: 'passkey_cloned' });
    expect((await events('passkey.cloned')).at(-1)).toMatchObject({ user_id: user.id, details: { passkey: passkey.id, counter: 2, expected: 3 } });
  });

  it("refuses a passkey answering with another account's user handle", async () => {
    const authenticator = softAuthenticator(MODEL);
    await register(authenticator);
    await expect(login(authenticator, b64url('someone else'))).rejects.toMatchObject({ code: 'passkey_unknown' });
  });
});
