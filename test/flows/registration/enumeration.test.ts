// Found by an attack pass: an open sign-up with an address that has an account answered about 5 ms sooner (only a
// mail saying so), and a request for a new activation link about 3 ms later for a pending account (the only one that
// gets a link). Both now answer a fixed time after the request began, known or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent } from '../account/agent.ts';

const FLOOR_MS = 200;

describe('account enumeration through the sign-up forms', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', {
      REGISTRATION_MODES: 'open',
      CAPTCHA: 'off',
      SIGN_UP_RESPONSE_MS: String(FLOOR_MS),
      RATE_LIMIT_REGISTRATION: '1000',
    });
    const { db, users } = idp.services;
    await users.create(db, { username: 'known', email: 'known@example.be', emailVerified: true, status: 'active' });
    await users.create(db, { username: 'waiting', email: 'waiting@example.be', status: 'pending' });
  });
  afterAll(() => idp?.close());

  const timed = async (answer: () => Promise<globalThis.Response>) => {
    const started = performance.now();
    const res = await answer();
    await res.text();
    return { status: res.status, ms: performance.now() - started };
  };

  it('answers a sign-up with a known address and with a new one after the same floor', async () => {
    const signUp = async (email: string) => {
      const agent = new Agent(idp.issuer);
      const flow = /name="flow" value="([^"]+)"/.exec((await agent.go('/registration/open')).html)![1]!;
      const form = {
        flow,
        email,
        given_name: 'Ada',
        family_name: 'Claes',
        password: 'quiet rivers carry seven lanterns',
        accept_terms: 'yes',
        accept_privacy: 'yes',
      };
      return timed(() => agent.raw('/registration/open', { form }));
    };
    const answers = [await signUp('known@example.be'), await signUp('new@example.be')];
    expect(answers.map((a) => a.status)).toEqual([303, 303]);
    for (const a of answers) expect(a.ms).toBeGreaterThanOrEqual(FLOOR_MS);
  });

  it('answers a request for a new activation link after the same floor, for a pending account, an active one or none', async () => {
    const agent = new Agent(idp.issuer);
    await agent.go('/registration/resend');
    const answers = [];
    for (const identifier of ['waiting@example.be', 'known@example.be', 'nobody@example.be'])
      answers.push(await timed(() => agent.raw('/registration/resend', { form: { identifier } })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const a of answers) expect(a.ms).toBeGreaterThanOrEqual(FLOOR_MS);
  });
});
