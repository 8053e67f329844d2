// A NUL (%00) in a field of a page's form got the generic "Some fields are missing or not valid" page, the form and
// everything typed into it gone. It is now that field's problem, shown at the field with the other values kept, and
// nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text } from './agent.ts';
import { loggedInPerson } from './people.ts';
import { postOpenSignUp } from '../registration/helpers.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';
const MESSAGE = 'Use visible characters only: control and text-direction characters cannot be used here.';

/** What the list beside the field named `name` says. */
const fieldError = (html: string, name: string) => text(new RegExp(`id="${name}-error"[^>]*>([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? '');
/** The value the input named `name` shows. */
const shown = (html: string, name: string) => new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];

describe('a NUL in a form field', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', CAPTCHA: 'off' });
  });
  afterAll(() => idp?.close());

  it('is shown at its field of the sign-up form, the other values kept and no account made', async () => {
    const { answer } = await postOpenSignUp(idp.issuer, PASSWORD, { family_name: 'Ma\u0000es' });
    expect(answer.status).toBe(400);
    expect(text(answer.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(answer.html, 'family_name')).toBe(MESSAGE);
    expect([shown(answer.html, 'email'), shown(answer.html, 'given_name')]).toEqual(['lena@example.be', 'Lena']);
    expect(await idp.services.db('users').where({ email: 'lena@example.be' })).toEqual([]);
  });

  it('is shown at its field of the address change and of a new alert contact, nothing stored', async () => {
    const { agent, user } = await loggedInPerson(idp, 'noor', PASSWORD, { locale: 'en' });
    const email = await agent.post('/account/email', { email: 'noor.new@exam\u0000ple.org' });
    expect(email.status).toBe(400);
    expect(fieldError(email.html, 'email')).toBe(MESSAGE);
    expect(shown(email.html, 'email')).toBe('noor.new@exam\u0000ple.org');
    expect(await idp.services.db('one_time_tokens').where({ user_id: user.id })).toEqual([]);

    const contact = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'noor.alerts@example.org\u0000' });
    expect(contact.status).toBe(400);
    expect(fieldError(contact.html, 'value')).toBe(MESSAGE);
    expect(contact.html).toMatch(/<input[^>]*name="channel"[^>]*value="email"[^>]*checked/);
    expect(await idp.services.db('alert_contacts').where({ user_id: user.id })).toEqual([]);
  });

  it('is shown at the password of the login form, the name kept', async () => {
    await loggedInPerson(idp, 'jonas', PASSWORD);
    const agent = new Agent(idp.issuer);
    const page = await agent.get('/self/login?return_to=%2Faccount');
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
    const refused = await agent.post(action, { identifier: 'jonas', password: `${PASSWORD}\u0000` });
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, 'password')).toBe(MESSAGE);
    expect(shown(refused.html, 'identifier')).toBe('jonas');
  });

  it('is shown at the password of the activation page, the link left unspent; a password over the limit says so too', async () => {
    const { answer } = await postOpenSignUp(idp.issuer, PASSWORD, { email: 'mila@example.be', given_name: 'Mila' });
    expect(text(answer.html)).toContain('Check your e-mail');
    const mail = await idp.services.db('outbox').where({ recipient: 'mila@example.be' }).first();
    const token = /activate\?token=([\w-]+)/.exec(String(mail.body_text))![1]!;
    const agent = new Agent(idp.issuer);
    await agent.get(`/registration/activate?token=${token}`);
    const refused = await agent.post('/registration/activate', { token, password: `${PASSWORD}\u0000` });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(refused.html, 'password')).toBe(MESSAGE);
    const long = await agent.post('/registration/activate', { token, password: 'x'.repeat(1025) });
    expect(fieldError(long.html, 'password')).toBe('This is too long: use at most 1024 characters.');
    const empty = await agent.post('/registration/activate', { token, password: '' });
    expect(fieldError(empty.html, 'password')).toBe('Enter the password you chose when you signed up.');
    const activated = await agent.post('/registration/activate', { token, password: PASSWORD });
    expect(text(activated.html)).toContain('You can now log in with mila@example.be and your password.');
  });

  it('says so in French with its typography', async () => {
    const { agent } = await loggedInPerson(idp, 'elise', PASSWORD, { locale: 'fr' });
    agent.headers['accept-language'] = 'fr';
    const refused = await agent.post('/account/email', { email: '\u0000' });
    expect(fieldError(refused.html, 'email')).toBe(
      'Utilisez uniquement des caractères visibles : les caractères de contrôle et de sens d’écriture ne sont pas acceptés ici.',
    );
    // The colon keeps its no-break space, which the text above reads as any space.
    expect(refused.html).toContain('visibles\u00a0: les caractères');
  });
});
