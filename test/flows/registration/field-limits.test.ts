// Found by an outside review: a given name of 200 characters, or one of bidi controls, was answered "Enter your given
// name." though the field was filled. A refused field now says what is wrong with it, and each text input carries the
// maxlength its schema checks, so that a browser stops the typing where the server would refuse it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text } from '../account/agent.ts';
import { loggedInPerson } from '../account/people.ts';
import { postOpenSignUp } from './helpers.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';

/** The maxlength of the input named `name` on a page, or undefined without one. */
const maxLength = (html: string, name: string) => {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0] ?? '';
  return /maxlength="(\d+)"/.exec(input)?.[1];
};

describe('too long and unusable text in form fields', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open,customer', CAPTCHA: 'off' });
  });
  afterAll(() => idp?.close());

  async function signUp(fields: Record<string, string>, language = 'en') {
    const { form, answer } = await postOpenSignUp(idp.issuer, PASSWORD, fields, language);
    return { form: form.html, status: answer.status, text: text(answer.html) };
  }

  it('tells a sign-up that a name is too long or holds characters it cannot, in the page language', async () => {
    const long = await signUp({ given_name: 'a'.repeat(200), family_name: '\u202Eevil\u202C' });
    expect(long.status).toBe(400);
    expect(long.text).toContain('This is too long: use at most 100 characters.');
    expect(long.text).toContain('Use visible characters only: control and text-direction characters cannot be used here.');
    expect(long.text).not.toContain('Enter your given name.');
    expect(long.text).not.toContain('Enter your family name.');
    const french = await signUp({ given_name: 'a'.repeat(200) }, 'fr');
    // text() reads the no-break space before the colon as any space.
    expect(french.text).toContain('C’est trop long : utilisez au plus 100 caractères.');
    // An empty field is still asked for.
    expect((await signUp({ given_name: '' })).text).toContain('Enter your given name.');
  });

  it('gives the sign-up inputs the maxlength their schema checks', async () => {
    const { form } = await signUp({});
    expect([maxLength(form, 'email'), maxLength(form, 'given_name'), maxLength(form, 'family_name')]).toEqual(['320', '100', '100']);
    const customer = (await new Agent(idp.issuer).get('/registration/customer')).html;
    expect([maxLength(customer, 'name'), maxLength(customer, 'customer_number')]).toEqual(['200', '40']);
  });

  it('does the same on the account pages', async () => {
    const { agent } = await loggedInPerson(idp, 'pieter', PASSWORD, { locale: 'en' });
    const profile = (await agent.get('/account')).html;
    expect([maxLength(profile, 'given_name'), maxLength(profile, 'family_name'), maxLength(profile, 'phone')]).toEqual(['100', '100', '40']);
    const refused = await agent.post('/account/profile', { given_name: 'Pieter', family_name: 'b'.repeat(101) });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('This is too long: use at most 100 characters.');
    expect(refused.html).toMatch(/id="family_name-error"/);
    const bidi = await agent.post('/account/profile', { given_name: '\u202Eevil\u202C', family_name: 'Maes' });
    expect(text(bidi.html)).toContain('Use visible characters only: control and text-direction characters cannot be used here.');
    expect(maxLength((await agent.get('/account/email')).html, 'email')).toBe('320');
    expect(maxLength((await agent.get('/account/alerts/contacts/new')).html, 'value')).toBe('320');
  });
});
