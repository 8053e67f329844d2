// Found by an outsider and an attack pass: SMS codes were limited per account only, so many accounts could each have
// their hourly budget texted to one person's phone. Codes to a number, for an account's own new number or a number
// added for alerts, now count together under a ceiling per number (RATE_LIMIT_NUMBER_CODES), with an account's first
// code to it still sent, so that a few accounts cannot keep the phone's owner from verifying it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { has } from '../../helpers/components.ts';
import { loggedInPerson } from './people.ts';
import { text, type Agent } from './agent.ts';

const PASSWORD = 'correct horse battery staple';
const THEME_DIR = fileURLToPath(new URL('../../../examples/theme/', import.meta.url));
const REFUSED = /Too many codes were sent to this number\. Try again in (1 hour|\d+ minutes)\./;
const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];

describe.each(kinds)('SMS codes per number (%s)', (kind) => {
  let idp: TestProvider;

  beforeAll(async () => {
    // Four codes a number an hour, whoever asks; five an account (RATE_LIMIT_SMS_CODES), so the number's ceiling is met first.
    idp = await startTestProvider(kind, { RATE_LIMIT_NUMBER_CODES: '4', RATE_LIMIT_SMS_CODES: '5', THEME_DIR });
  }, 60_000);
  afterAll(() => idp?.close());

  const texted = async (to: string): Promise<string[]> =>
    (await idp.services.db('outbox').where({ channel: 'sms', recipient: to }).orderBy('created_at')).map((r: { body_text: string }) => r.body_text);
  const person = async (name: string): Promise<Agent> => (await loggedInPerson(idp, name, PASSWORD, { locale: 'en' })).agent;
  const askMobile = async (agent: Agent, phone: string) => text((await agent.post('/account/phone', { phone })).html);
  /** Adds `value` as an alert contact and takes it away again, so that the same account can add it once more. */
  const addContact = async (agent: Agent, value: string) => {
    const added = await agent.post('/account/alerts/contacts', { channel: 'sms', value });
    const id = /\/account\/alerts\/contacts\/([0-9a-f-]+)\/verify$/.exec(added.url)?.[1];
    if (id) await agent.post(`/account/alerts/contacts/${id}/remove`, {});
    return text(added.html);
  };

  it("stops texting a number other accounts asked codes for past its ceiling, but sends its owner's first", async () => {
    const victim = '+32470111222';
    const p1 = await person('p1');
    for (let i = 0; i < 3; i++) expect(await askMobile(p1, '0470 11 12 22')).toContain('We sent a code of 6 digits by SMS');
    const p2 = await person('p2');
    expect(await askMobile(p2, '0470 11 12 22')).toContain('We sent a code of 6 digits by SMS');
    // The number has had its four: p2's second is refused, and says why.
    expect(await askMobile(p2, '0470 11 12 22')).toMatch(REFUSED);
    // A third account's first still goes out (it may be the owner's), its second does not.
    const p3 = await person('p3');
    expect(await askMobile(p3, '0470 11 12 22')).toContain('We sent a code of 6 digits by SMS');
    expect(await askMobile(p3, '0470 11 12 22')).toMatch(REFUSED);
    expect(await texted(victim)).toHaveLength(5);

    // The person who holds the phone verifies it on her own account, past the ceiling.
    const vera = await person('vera');
    expect(await askMobile(vera, '+32 470 11 12 22')).toContain('We sent a code of 6 digits by SMS');
    expect(await texted(victim)).toHaveLength(6);

    // Another number is not held back: p2 has spent three of its five.
    expect(await askMobile(p2, '0470 33 34 44')).toContain('We sent a code of 6 digits by SMS');
    expect(await texted('+32470333444')).toHaveLength(1);
    // Every code says who sends it: the theme's organisation.
    expect((await texted(victim))[0]).toMatch(/^Stad Voorbeeld: \d{6} is your code to verify this mobile number\./);
  });

  it('counts codes to a number added for alerts with the codes to accounts asking for it as their own', async () => {
    const victim = '+32470555666';
    const a1 = await person('a1');
    for (let i = 0; i < 3; i++) expect(await addContact(a1, '0470 55 56 66')).toContain('We sent a code of 6 digits to +32 470 55 56 66.');
    const a2 = await person('a2');
    expect(await askMobile(a2, '0470 55 56 66')).toContain('We sent a code of 6 digits by SMS');
    expect(await addContact(a2, '0470 55 56 66')).toMatch(REFUSED);
    const a3 = await person('a3');
    expect(await addContact(a3, '0470 55 56 66')).toContain('We sent a code of 6 digits to +32 470 55 56 66.');
    expect(await addContact(a3, '0470 55 56 66')).toMatch(REFUSED);
    expect(await texted(victim)).toHaveLength(5);
    expect(await addContact(a2, '0470 77 78 88')).toContain('We sent a code of 6 digits to +32 470 77 78 88.');
    expect(await texted('+32470777888')).toEqual([expect.stringMatching(/^Stad Voorbeeld: \d{6} is your code to confirm this number for alerts\./)]);
  });
});
