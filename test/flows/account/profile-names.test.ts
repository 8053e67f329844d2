// Found by an outside review: sign-up asks for a given and a family name, but the profile page saved an emptied given
// name and said "Your name was saved". A name the account has is now held to sign-up's rules, at its field, in the
// page's language; an account that never had one (a customer named by its company, an account made by staff or from
// a card without given names) still saves its profile without inventing one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { formSummary, text } from './agent.ts';
import { loggedInPerson } from './people.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';

/** The text of the error shown under the field `name`, or undefined without one. */
const fieldError = (html: string, name: string) => {
  const found = new RegExp(`id="${name}-error"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];
  return found === undefined ? undefined : text(found);
};

describe('the names on the profile page', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
  });
  afterAll(() => idp?.close());

  const names = (id: string) => idp.db('users').where({ id }).first('given_name', 'family_name');

  it('refuses to clear a given or family name the account has, at its field and in the page language, and keeps both', async () => {
    const { user, agent } = await loggedInPerson(idp, 'griet', PASSWORD, { givenName: 'Griet', familyName: 'Janssens' });
    const refused = await agent.post('/account/profile', { given_name: '', family_name: 'Janssens' });
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, 'given_name')).toBe('Enter your given name.');
    expect(fieldError(refused.html, 'family_name')).toBeUndefined();
    expect(formSummary(refused.html)).toContain('Enter your given name.');
    expect(text(refused.html)).not.toContain('Your name has been saved.');
    expect(await names(user.id)).toEqual({ given_name: 'Griet', family_name: 'Janssens' });

    agent.headers['accept-language'] = 'nl';
    const dutch = await agent.post('/account/profile', { given_name: 'Griet', family_name: '  ' });
    expect(dutch.status).toBe(400);
    expect(fieldError(dutch.html, 'family_name')).toBe('Vul uw familienaam in.');
    expect(await names(user.id)).toEqual({ given_name: 'Griet', family_name: 'Janssens' });

    agent.headers['accept-language'] = 'en';
    const saved = await agent.post('/account/profile', { given_name: 'Margriet', family_name: 'Janssens' });
    expect(text(saved.html)).toContain('Your name has been saved.');
    expect(await names(user.id)).toEqual({ given_name: 'Margriet', family_name: 'Janssens' });
  });

  it('lets an account without a given name save its profile with the given name still empty', async () => {
    const { user, agent } = await loggedInPerson(idp, 'bakkerij', PASSWORD, { familyName: 'Bakkerij Peeters' });
    const saved = await agent.post('/account/profile', { given_name: '', family_name: 'Bakkerij Peeters NV' });
    expect(text(saved.html)).toContain('Your name has been saved.');
    expect(await names(user.id)).toEqual({ given_name: null, family_name: 'Bakkerij Peeters NV' });
    // Its family name, once set, cannot be emptied.
    const refused = await agent.post('/account/profile', { given_name: '', family_name: '' });
    expect(fieldError(refused.html, 'family_name')).toBe('Enter your family name.');
    expect(await names(user.id)).toEqual({ given_name: null, family_name: 'Bakkerij Peeters NV' });
  });
});
