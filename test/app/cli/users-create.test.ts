// `idp users create` as an operator meets it, and what the person it creates then sees on /account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp } from '../../helpers/cli.ts';
import { Agent, text } from '../../flows/account/agent.ts';

const PASSWORD = 'correct horse battery staple';

describe('idp users create', { timeout: 120_000 }, () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startTestProvider('pglite');
  });
  afterAll(() => p?.close());

  /** The /account language section as a person reading French sees it: its hint and the language selected. */
  async function languageSection(username: string) {
    const agent = new Agent(p.issuer);
    agent.headers['accept-language'] = 'fr';
    const page = await agent.login(username, PASSWORD);
    const section = /<section aria-labelledby="language-heading">([\s\S]*?)<\/section>/.exec(page.html)![1]!;
    return {
      hint: text(/<p class="hint" id="locale-hint">([\s\S]*?)<\/p>/.exec(section)![1]!),
      selected: /<option value="(\w+)"[^>]* selected>/.exec(section)![1],
    };
  }

  it('sets the language of mails with --locale, and /account tells a person without one which language mails use', async () => {
    expect((await idp(p, ['users', 'create', '--username', 'chloe', '--email', 'chloe@example.be', '--password', PASSWORD])).code).toBe(0);
    const none = await languageSection('chloe');
    // DEFAULT_LOCALE (en) is what the mails use, whatever the page's language; the hint says so instead of "every mail".
    expect(none.selected).toBe('en');
    expect(none.hint).toBe(
      "Vous n'avez pas encore choisi de langue. D'ici là, nous vous écrivons dans la langue par défaut du service, English ; un e-mail au sujet de ce que vous faites sur nos pages (par exemple la réinitialisation de votre mot de passe) est dans la langue de cette page.",
    );

    expect((await idp(p, ['users', 'create', '--username', 'dirk', '--email', 'dirk@example.be', '--password', PASSWORD, '--locale', 'de'])).code).toBe(0);
    expect((await p.db('users').where({ username: 'dirk' }).first('locale')).locale).toBe('de');
    const chosen = await languageSection('dirk');
    expect(chosen.selected).toBe('de');
    expect(chosen.hint).toBe('Chaque e-mail et chaque SMS que nous vous envoyons, alertes comprises, est rédigé dans cette langue.');

    const wrong = await idp(p, ['users', 'create', '--username', 'eva', '--password', PASSWORD, '--locale', 'es']);
    expect([wrong.code, wrong.err]).toEqual([2, 'Invalid arguments:\n  - locale: expected nl, fr, de or en']);
  });
  it('audits what the command line changes in accounts, as the staff pages do: who (the CLI), which account, never a password', async () => {
    const created = await idp(p, ['users', 'create', '--username', 'fien', '--email', 'fien@example.be', '--password', PASSWORD, '--role', 'admin']);
    expect(created.code).toBe(0);
    const { id } = await p.db('users').where({ username: 'fien' }).first<{ id: string }>('id');
    await idp(p, ['users', 'set-password', 'fien'], ['a river of slow green light']);
    await idp(p, ['users', 'block', 'fien']);
    await idp(p, ['users', 'unblock', 'fien']);
    await idp(p, ['orgs', 'create', 'Stad Gent']);
    await idp(p, ['orgs', 'add-member', 'Stad Gent', 'fien']);
    await idp(p, ['orgs', 'remove-member', 'Stad Gent', 'fien']);

    const trail = (await idp(p, ['audit', '--type', 'admin.*'])).out;
    const lines = trail
      .trim()
      .split('\n')
      .filter((l) => l.includes(id))
      .map((l) => l.split('  ').slice(1).join('  '));
    const { id: org } = await p.db('organisations').where({ name: 'Stad Gent' }).first<{ id: string }>('id');
    expect(lines.reverse()).toEqual([
      `admin.account_created  -  -  {"via":"cli","roles":["admin"],"account":"${id}"}`,
      `admin.password_set  -  -  {"via":"cli","account":"${id}"}`,
      `admin.blocked  -  -  {"via":"cli","account":"${id}","previous":"active"}`,
      `admin.unblocked  -  -  {"via":"cli","status":"active","account":"${id}"}`,
      `admin.organisation_member_added  -  -  {"via":"cli","account":"${id}","organisation":"${org}"}`,
      `admin.organisation_member_removed  -  -  {"via":"cli","account":"${id}","organisation":"${org}"}`,
    ]);
    expect(trail).not.toContain(PASSWORD);
  });
});
