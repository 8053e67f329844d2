// `idp users create` as an operator meets it, and what the person it creates then sees on /account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp } from '../../helpers/cli.ts';
import { commands, type CommandContext } from '../../../provider/app/cli/commands.ts';
import { runSpec } from '../../../provider/app/cli/spec.ts';
import { describeError } from '../../../provider/app/cli/describe-error.ts';
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
    // The list offers the page's language, which she reads; the default is named in it.
    expect(none.selected).toBe('fr');
    expect(none.hint).toBe(
      'Vous n’avez pas encore choisi de langue. D’ici là, nous vous écrivons dans la langue par défaut du service, anglais ; un e-mail au sujet de ce que vous faites sur nos pages (par exemple la réinitialisation de votre mot de passe) est dans la langue de cette page.',
    );

    expect((await idp(p, ['users', 'create', '--username', 'dirk', '--email', 'dirk@example.be', '--password', PASSWORD, '--locale', 'de'])).code).toBe(0);
    expect((await p.db('users').where({ username: 'dirk' }).first('locale')).locale).toBe('de');
    const chosen = await languageSection('dirk');
    expect(chosen.selected).toBe('de');
    expect(chosen.hint).toBe('Chaque e-mail et chaque SMS que nous vous envoyons, alertes comprises, est rédigé dans cette langue.');

    // Written as a person writes it.
    expect((await idp(p, ['users', 'create', '--username', 'emma', '--email', 'emma@example.be', '--password', PASSWORD, '--locale', 'FR'])).code).toBe(0);
    expect((await p.db('users').where({ username: 'emma' }).first('locale')).locale).toBe('fr');

    const wrong = await idp(p, ['users', 'create', '--username', 'eva', '--password', PASSWORD, '--locale', 'es']);
    expect([wrong.code, wrong.err]).toEqual([2, 'Invalid arguments:\n  - locale: expected nl, fr, de or en']);
  });
  it('audits what the command line changes in accounts, as the staff pages do: who (the CLI), which account, never a password', async () => {
    const created = await idp(p, ['users', 'create', '--username', 'fien', '--email', 'fien@example.be', '--password', PASSWORD, '--role', 'admin']);
    expect(created.code).toBe(0);
    await idp(p, ['users', 'set-password', 'fien'], ['a river of slow green light']);
    await idp(p, ['users', 'block', 'fien']);
    await idp(p, ['users', 'unblock', 'fien']);
    await idp(p, ['orgs', 'create', 'Stad Gent']);
    await idp(p, ['orgs', 'add-member', 'Stad Gent', 'fien']);
    await idp(p, ['orgs', 'remove-member', 'Stad Gent', 'fien']);

    // Under the account acted on, as the staff pages record it.
    const trail = (await idp(p, ['audit', '--user', 'fien', '--type', 'admin.*'])).out;
    const lines = trail
      .trim()
      .split('\n')
      .map((l) => l.split('  ').slice(1).join('  '));
    const { id: org } = await p.db('organisations').where({ name: 'Stad Gent' }).first<{ id: string }>('id');
    expect(lines.reverse()).toEqual([
      `admin.account_created  fien  -  {"via":"cli","roles":["admin"]}`,
      `admin.password_set  fien  -  {"via":"cli"}`,
      `admin.blocked  fien  -  {"via":"cli","previous":"active"}`,
      `admin.unblocked  fien  -  {"via":"cli","status":"active"}`,
      `admin.organisation_member_added  fien  -  {"via":"cli","organisation":"${org}"}`,
      `admin.organisation_member_removed  fien  -  {"via":"cli","organisation":"${org}"}`,
    ]);
    expect(trail).not.toContain(PASSWORD);
  });
  /** `idp users create …` typed at a terminal: the prompts it shows, answered in turn by `answers`. */
  async function atTerminal(argv: string[], answers: string[]) {
    const prompts: string[] = [];
    let out = '';
    let err = '';
    const io = {
      out: (t: string) => void (out += t),
      err: (t: string) => void (err += t),
      ask: async (q: string) => (prompts.push(q), answers.shift() ?? ''),
      terminal: true,
      exitCode: 0,
    };
    const ctx: CommandContext = { config: p.services.config, io, cwd: process.cwd(), db: async () => p.db, services: async () => p.services };
    await runSpec('users', commands.users!, argv, io, ctx).catch((e: unknown) => void (err += describeError(e)));
    return { prompts, out, err };
  }

  it('asks the password twice at a terminal and refuses two that differ; once from a pipe', async () => {
    const typo = await atTerminal(['create', '--username', 'gert'], [PASSWORD, 'correct horse battery stapel']);
    expect(typo.prompts).toEqual(['Password: ', 'Again, to confirm: ']);
    expect(typo.err).toBe('The two passwords differ; nothing was changed. Run the command again.');
    expect(await p.db('users').where({ username: 'gert' }).first()).toBeUndefined();

    const same = await atTerminal(['create', '--username', 'gert'], [PASSWORD, PASSWORD]);
    expect(same.out).toMatch(/^Created user gert \(sub \S+\)\n$/);

    // Piped (the tests' io, like `echo … | idp users create`): asked once, as before.
    const piped = await idp(p, ['users', 'create', '--username', 'hilde'], [PASSWORD]);
    expect(piped.out).toMatch(/^Created user hilde /);
  });

  it('says that no password was given, and how to give one, when neither --password nor standard input brings one', async () => {
    // The tests' io answers an empty line when it has no more answers, as `idp users create … </dev/null` reads one.
    const none = await idp(p, ['users', 'create', '--username', 'eve', '--email', 'e@example.org']);
    expect([none.code, none.err]).toEqual([
      2,
      'No password was given: type it when asked, or send it on standard input (one line), or give it with --password. Nothing was changed.',
    ]);
    expect(await p.db('users').where({ username: 'eve' }).first()).toBeUndefined();

    const atTheTerminal = await atTerminal(['create', '--username', 'eve'], ['', '']);
    expect(atTheTerminal.prompts).toEqual(['Password: ']);
    expect(atTheTerminal.err).toMatch(/^No password was given: /);
  });

  it('shows --username as required in its usage, and names it when it is missing', async () => {
    const help = await idp(undefined, ['users', 'create', '--help']);
    expect(help.out.split('\n')[0]).toBe(
      'usage: idp users create --username NAME [--email ADDRESS] [--password P] [--given-name G] [--family-name F] [--role admin]… [--locale nl|fr|de|en]',
    );
    const missing = await idp(p, ['users', 'create', '--email', 'x@example.be', '--password', PASSWORD]);
    expect([missing.code, missing.err]).toEqual([
      2,
      'idp users create needs --username NAME.\nusage: idp users create --username NAME [--email ADDRESS] [--password P] [--given-name G] [--family-name F] [--role admin]… [--locale nl|fr|de|en]',
    ]);
  });
});
