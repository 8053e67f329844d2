// A class registering with its slips from the school's one address, over HTTP: each pupil's slip and sign-up count
// against that slip, so a class gets through where the address's allowance (RATE_LIMIT_REGISTRATION, 2 here) would
// have stopped the second pupil; wrong slips still count against the address, and past it even a right one waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { importInvitations, type IssuedInvitation } from '../../../provider/domain/invitations/import.ts';
import { Agent, text, type Response } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const CSV = 'Vorname;Nachname;Klasse\r\nMax;Müller;10a\r\nLea;Schmitt;10a\r\nTim;Meier;10a\r\nJana;Koch;10a\r\nOle;Braun;10a\r\n';
// The address's allowance is counted by the hour, and the page says so.
const TOO_MANY = 'Too many attempts. Try again in 1 hour.';

describe('registration with slips from one school address', () => {
  let idp: TestProvider;
  let slips: IssuedInvitation[];

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'invitation', RATE_LIMIT_REGISTRATION: '2' });
    slips = (await importInvitations(idp.services, CSV, { partial: false })).imported;
  });
  afterAll(() => idp?.close());

  const title = (r: Response) => text(/<h1>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');

  async function typeSlip(agent: Agent, username: string, initialPassword: string) {
    await agent.go('/registration/invitation');
    return agent.go('/registration/invitation', { form: { username, initial_password: initialPassword } });
  }

  async function register(s: IssuedInvitation) {
    const agent = new Agent(idp.issuer);
    const details = await typeSlip(agent, s.username, s.initialPassword);
    expect(title(details)).toBe('Check your data');
    const flow = new URL(details.url).searchParams.get('flow')!;
    const form = { flow, given_name: s.givenName, family_name: s.familyName, email: `${s.username}@example.de`, password: PASSWORD };
    return agent.go('/registration/invitation/details', { form: { ...form, accept_terms: 'yes', accept_privacy: 'yes' } });
  }

  it('lets a whole class sign up from the one address; wrong slips count against it, and then even a right one waits', async () => {
    for (const s of slips.slice(0, 4)) expect(title(await register(s))).toBe('Check your e-mail');
    expect(
      await idp
        .db('users')
        .whereIn(
          'username',
          slips.slice(0, 4).map((s) => s.username),
        )
        .count({ n: '*' }),
    ).toEqual([{ n: 4 }]);

    const agent = new Agent(idp.issuer);
    const wrong = await Promise.all([0, 1].map(() => typeSlip(agent, 'ole.braun', 'abcd-efgh-jkmn')));
    expect(wrong.map((r) => r.status)).toEqual([401, 401]);
    const refused = await typeSlip(agent, slips[4]!.username, slips[4]!.initialPassword);
    expect([refused.status, text(refused.html)]).toEqual([429, expect.stringContaining(TOO_MANY)]);
  });
});
