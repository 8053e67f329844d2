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
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'invitation', CAPTCHA: 'off', RATE_LIMIT_REGISTRATION: '2' });
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

/**
 * The slip's page in a new browser at `address` (through TRUST_PROXY) of the provider at `issuer`; the returned function
 * sends a slip (its own initial password unless another is given) and times the answer.
 */
async function slipPage(issuer: string, address: string) {
  const agent = new Agent(issuer);
  agent.headers['x-forwarded-for'] = address;
  await agent.go('/registration/invitation');
  return async (s: IssuedInvitation, initialPassword = s.initialPassword) => {
    const started = performance.now();
    const res = await agent.go('/registration/invitation', { form: { username: s.username, initial_password: initialPassword } });
    return { status: res.status, title: text(/<h1>([\s\S]*?)<\/h1>/.exec(res.html)?.[1] ?? ''), ms: performance.now() - started };
  };
}

describe("a pupil's slip guessed by someone else", () => {
  let idp: TestProvider;
  let slip: IssuedInvitation;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', {
      REGISTRATION_MODES: 'invitation',
      CAPTCHA: 'off',
      RATE_LIMIT_INVITATION: '3',
      RATE_LIMIT_MAX_DELAY: '2',
      TRUST_PROXY: 'true',
    });
    slip = (await importInvitations(idp.services, CSV, { partial: false })).imported[0]!;
  });
  afterAll(() => idp?.close());

  it('slows the guesses and never locks the pupil out: her right slip gets in after eight wrong ones for her predictable username', async () => {
    const answers = [];
    // Two guesses from each of four addresses: none of them past its address's allowance.
    for (const host of [1, 2, 3, 4]) {
      const guess = await slipPage(idp.issuer, `198.51.100.${host}`);
      for (let i = 0; i < 2; i++) answers.push(await guess(slip, `abcd-efgh-jk${host}${i}`));
    }
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(401));
    // Three were free, then 1 s, then 2 s (the cap) for each.
    expect(answers[3]!.ms).toBeGreaterThanOrEqual(1000);
    expect(answers[7]!.ms).toBeGreaterThanOrEqual(2000);
    // Before: past RATE_LIMIT_INVITATION (3) tries the slip was refused for 15 minutes, the right one included.
    const pupil = await (await slipPage(idp.issuer, '203.0.113.20'))(slip);
    expect([pupil.status, pupil.title]).toEqual([200, 'Check your data']);
    expect(pupil.ms).toBeGreaterThanOrEqual(2000);
  }, 90_000);
});

describe("the school's allowance while a pupil's username is kept busy", () => {
  let idp: TestProvider;
  let slips: IssuedInvitation[];

  beforeAll(async () => {
    idp = await startTestProvider('pglite', {
      REGISTRATION_MODES: 'invitation',
      CAPTCHA: 'off',
      RATE_LIMIT_REGISTRATION: '3',
      RATE_LIMIT_INVITATION: '2',
      RATE_LIMIT_MAX_DELAY: '2',
      TRUST_PROXY: 'true',
    });
    slips = (await importInvitations(idp.services, CSV, { partial: false })).imported;
  });
  afterAll(() => idp?.close());

  it("costs the school nothing for the retries that were refused unchecked: the next pupil's slip still gets in", async () => {
    const [lea, tim] = [slips[1]!, slips[2]!];
    const guess = await slipPage(idp.issuer, '198.51.100.9');
    for (let i = 0; i < 2; i++) expect((await guess(lea, `abcd-efgh-jk${i}`)).status).toBe(401);
    // The guesser's third try waits its delay, holding Lea's username; Lea, at school, sends hers again and again.
    const held = guess(lea, 'abcd-efgh-jkm2');
    const school = await slipPage(idp.issuer, '192.0.2.77');
    const retries = await Promise.all(Array.from({ length: 6 }, () => school(lea)));
    await held;
    expect(retries.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(4);
    // Past the school's allowance (3 wrong slips an hour) if each refused retry had cost a point: Tim's would be refused.
    const { status, title } = await school(tim);
    expect([status, title]).toEqual([200, 'Check your data']);
  }, 60_000);
});
