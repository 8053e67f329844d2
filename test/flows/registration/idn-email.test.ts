// Found by an outside review: juergen@bücher.de was refused while juergen@xn--bcher-kva.de was accepted, so an
// internationalised domain could not sign up. Every form and command takes the domain in Unicode and stores it in
// its ASCII (punycode) form: typed either way, it is one address and one account. The pages show it in Unicode.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text } from '../account/agent.ts';
import { loggedInPerson } from '../account/people.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';
const UNICODE = 'juergen@bücher.de';
const ASCII = 'juergen@xn--bcher-kva.de';

describe('an e-mail address with an internationalised domain', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', CAPTCHA: 'off', RECOVERY_RESPONSE_MS: '50' });
  });
  afterAll(() => idp?.close());

  async function signUp(email: string) {
    const agent = new Agent(idp.issuer);
    const flow = /name="flow" value="([^"]+)"/.exec((await agent.get('/registration/open')).html)![1]!;
    const answer = await agent.post('/registration/open', {
      flow,
      email,
      given_name: 'Jürgen',
      family_name: 'Buch',
      password: PASSWORD,
      accept_terms: 'yes',
      accept_privacy: 'yes',
    });
    return { status: answer.status, text: text(answer.html) };
  }

  it('signs up in Unicode or punycode alike, as one stored address shown in Unicode', async () => {
    const unicode = await signUp(UNICODE);
    expect(unicode.text).not.toContain('Enter a valid e-mail address');
    expect(unicode.text).toContain(`We sent an e-mail to ${UNICODE}.`);
    const ascii = await signUp(ASCII);
    expect(ascii.text).toContain(`We sent an e-mail to ${UNICODE}.`);
    // The second sign-up took the place of the first: one account for the one address.
    expect(await idp.db('users').whereRaw('lower(email) like ?', ['juergen@%']).pluck('email')).toEqual([ASCII]);
  });

  it('finds the account by either form in recovery, and changes an address to one with such a domain', async () => {
    const recovery = new Agent(idp.issuer);
    await recovery.get('/recovery');
    const asked = await recovery.post('/recovery', { email: 'anna@dömäin.example' });
    expect(asked.status).toBe(200);
    expect(text(asked.html)).not.toContain('Enter a valid e-mail address');

    const { agent } = await loggedInPerson(idp, 'anna', PASSWORD, { locale: 'en' });
    const changed = await agent.post('/account/email', { email: 'anna@dömäin.example' });
    expect(text(changed.html)).toContain('We sent a link to anna@dömäin.example.');
    expect(text((await agent.get('/account')).html)).toContain('We sent a confirmation link to anna@dömäin.example.');
  });

  it('creates a user with such an address on the command line', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-idn-'));
    try {
      const env = { DATA_DIR: dataDir, NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' };
      const created = await runCli(['users', 'create', '--username', 'juergen', '--email', UNICODE, '--password', PASSWORD], env);
      expect(created.code, created.stderr).toBe(0);
      expect((await runCli(['users', 'list'], env)).stdout).toContain(ASCII);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
