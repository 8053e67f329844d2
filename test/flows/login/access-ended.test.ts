// A browser whose session was ended because the account's access ended elsewhere (`idp users set-password`, a new
// password chosen in another browser, a block) is told why on the login page it is sent to; no other browser is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp as runIdp } from '../../helpers/cli.ts';
import { loggedInPerson } from '../account/people.ts';
import { Agent, text } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'another horse, another staple';
const ENDED = 'Your session has ended because your password was changed or your access was ended. Log in again.';

describe('the login page after the access of its account ended', () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite')));
  afterAll(() => idp?.close());

  /** The account pages seen again by the same browser: the login page they send it to. */
  const loginPage = async (agent: Agent) => {
    const page = await agent.get('/account');
    expect(new URL(page.url).pathname).toMatch(/^\/interaction\//);
    return text(page.html);
  };

  it('says so to the browser whose session an operator ended with set-password, once, and to no other browser', async () => {
    const { agent } = await loggedInPerson(idp, 'noor', PASSWORD);
    expect(await runIdp(idp, ['users', 'set-password', 'noor'], [NEW_PASSWORD, NEW_PASSWORD])).toMatchObject({ code: 0 });
    expect(await loginPage(agent)).toContain(ENDED);
    // Said once: the page reloaded is the plain login page.
    expect(await loginPage(agent)).not.toContain(ENDED);
    expect(await loginPage(new Agent(idp.issuer))).not.toContain(ENDED);
    // Logged in again with the new password, the browser's session is new and nothing is said after a logout.
    expect((await agent.login('noor', NEW_PASSWORD)).url).toBe(`${idp.issuer}/account`);
  });

  it('says so after a new password chosen in another browser, not to that browser, nor after a logout of ones own', async () => {
    const { agent: here } = await loggedInPerson(idp, 'wout', PASSWORD);
    const elsewhere = new Agent(idp.issuer);
    expect((await elsewhere.login('wout', PASSWORD)).url).toBe(`${idp.issuer}/account`);
    const changed = await elsewhere.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(text(changed.html)).toContain('Your password has been changed');
    expect(await loginPage(here)).toContain(ENDED);

    // The browser it was changed from stays logged in; logged out of its own wish, it is told nothing.
    const confirm = await elsewhere.post('/self/logout', {});
    const form = /<form[^>]*action="([^"]+)"[\s\S]*?name="xsrf" value="([^"]+)"/.exec(confirm.html)!;
    await elsewhere.post(form[1]!.replace(/&amp;/g, '&'), { xsrf: form[2]!, logout: 'yes' });
    expect(await loginPage(elsewhere)).not.toContain(ENDED);
  });

  it("says nothing after a logout through an app's own logout (/session/end), whatever happens to the account after", async () => {
    const { agent } = await loggedInPerson(idp, 'jolien', PASSWORD);
    const confirm = await agent.get('/session/end');
    const form = /<form[^>]*action="([^"]+)"[\s\S]*?name="xsrf" value="([^"]+)"/.exec(confirm.html)!;
    await agent.post(form[1]!.replace(/&amp;/g, '&'), { xsrf: form[2]!, logout: 'yes' });
    // The person left a shared computer; later her password is changed: the next person is told nothing of it.
    expect(await runIdp(idp, ['users', 'set-password', 'jolien'], [NEW_PASSWORD, NEW_PASSWORD])).toMatchObject({ code: 0 });
    expect(await loginPage(agent)).not.toContain(ENDED);
  });

  it('says so after a block', async () => {
    const { agent } = await loggedInPerson(idp, 'mila', PASSWORD);
    expect(await runIdp(idp, ['users', 'block', 'mila'])).toMatchObject({ code: 0 });
    expect(await loginPage(agent)).toContain(ENDED);
  });
});
