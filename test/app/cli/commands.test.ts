// The `idp` commands as their declaration makes them: help at every level, the real options named on a typo, and
// the account and client lifecycle, run the way a serving provider runs them (its own services, a real database),
// then checked through what a person or a relying app meets: the login's password, the outbox, the token endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, type CommandContext } from '../../../provider/app/cli/commands.ts';
import type { Action, OptionSpec } from '../../../provider/app/cli/spec.ts';
import { latestMessages } from '../../../provider/domain/messaging/outbox.ts';
import { runCli, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp } from '../../helpers/cli.ts';

describe('help', () => {
  const actions = Object.entries(commands).flatMap(([name, spec]): [string, Action<Record<string, OptionSpec>, CommandContext>][] =>
    'subcommands' in spec ? Object.entries(spec.subcommands).map(([sub, a]) => [`${name} ${sub}`, a]) : [[name, spec.action]],
  );

  it.each(actions)('idp %s --help lists each option with its line of help', async (path, a) => {
    const r = await idp(undefined, [...path.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage: idp ${path}`));
    expect(r.out).toContain(a.summary);
    for (const [name, o] of Object.entries<OptionSpec>({ ...a.options, help: { type: 'boolean', help: 'this help' } })) {
      expect(r.out).toMatch(
        new RegExp(`^  --${name}${o.arg ? ` ${o.arg.replace(/[|"]/g, '\\$&')}` : ''} +${o.help.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
    }
  });

  it('lists the subcommands of a command, and names the real options on a typo', async () => {
    const users = await idp(undefined, ['users', '--help']);
    expect(users.out).toMatch(/^usage: idp users <create\|list\|show\|set-password\|block\|unblock\|lock\|export\|delete> \[--help\]/);
    const typo = await idp(undefined, ['clients', 'list', '--jsno']);
    expect([typo.code, typo.err]).toEqual([2, "Unknown option '--jsno' for idp clients list; its options are --json (idp clients list --help explains them)."]);
    const missing = await idp(undefined, ['users', 'show']);
    expect(missing.err).toBe('usage: idp users show USERNAME [--json]');
  });

  // The options without which a command cannot run: its usage shows them without brackets, and one left out is named
  // before anything is opened or asked (a password, a client secret).
  const REQUIRED = {
    'clients create': ['--name N'],
    'mail test': ['--to ADDRESS'],
    'upstreams add': ['--slug S', '--name N', '--issuer URL', '--client-id ID'],
    'users create': ['--username NAME'],
  };

  it('marks every option a command cannot do without as required, and names the one left out', async () => {
    const required = Object.fromEntries(
      actions.flatMap(([path, a]) => {
        const names = Object.entries(a.options ?? {}).filter(([, o]) => o.required);
        return names.length ? [[path, names.map(([n, o]) => `--${n}${o.arg ? ` ${o.arg}` : ''}`)]] : [];
      }),
    );
    expect(required).toEqual(REQUIRED);
    for (const [path, options] of Object.entries(REQUIRED)) {
      const usage = (await idp(undefined, [...path.split(' '), '--help'])).out.split('\n')[0]!;
      for (const option of options) {
        expect(usage).toContain(` ${option}`);
        expect(usage).not.toContain(`[${option}]`);
        const others = options.filter((o) => o !== option).flatMap((o) => o.split(' ').slice(0, 1).concat('x'));
        const r = await idp(undefined, [...path.split(' '), ...others]);
        expect([r.code, r.err]).toEqual([2, `idp ${path} needs ${option}.\n${usage}`]);
      }
    }
  });

  it('answers `idp invitations import --help` as a process, before any database or setting is touched', async () => {
    const r = await runCli(['invitations', 'import', '--help'], { DATA_DIR: '/nonexistent/belid-help' });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^usage: idp invitations import FILE.csv \[--partial\] \[--sheet OUT.html\] \[--locale L\]\n/);
  });
});

describe('the account and client lifecycle', { timeout: 120_000 }, () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startTestProvider('pglite');
  });
  afterAll(() => p?.close());

  const passwordOf = async (username: string) => (await p.db('users').where({ username }).first('password_hash')).password_hash as string;

  it('creates, lists, shows, sets passwords, blocks, locks, unblocks and deletes accounts', async () => {
    const created = await idp(p, ['users', 'create', '--username', 'an.peeters', '--email', 'an@example.be', '--given-name', 'An'], ['correct horse battery']);
    expect(created.out).toMatch(/^Created user an.peeters \(sub \S+\)\n$/);
    await idp(p, ['users', 'create', '--username', 'bram', '--password', 'another long passphrase']);

    expect((await idp(p, ['users', 'list'])).out).toMatch(/^an\.peeters\tan@example\.be\tactive\t-\t\S+\nbram\t-\tactive\t-\t\S+\n$/);
    const listed = JSON.parse((await idp(p, ['users', 'list', '--json', '--search', 'PEET'])).out) as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!)).toEqual([
      'sub',
      'username',
      'email',
      'email_verified',
      'phone_number',
      'phone_number_verified',
      'given_name',
      'family_name',
      'status',
      'roles',
      'created_at',
      'password_changed_at',
    ]);
    expect(JSON.parse((await idp(p, ['users', 'show', 'an@example.be', '--json'])).out)).toEqual(listed[0]);
    // Without --json, its time as `idp audit` prints one: in TIME_ZONE (Europe/Brussels) with the offset.
    const shown = /^created_at: (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0[12]:00)$/m.exec((await idp(p, ['users', 'show', 'an.peeters'])).out);
    expect(shown).not.toBeNull();
    expect(Date.parse(shown![1]!)).toBe(Math.floor(Date.parse(listed[0]!.created_at as string) / 1000) * 1000);

    // A weak password is refused with the policy's words and changes nothing; a good one replaces the old.
    const before = await passwordOf('an.peeters');
    const weak = await idp(p, ['users', 'set-password', 'an.peeters'], ['short']);
    expect([weak.code, weak.err]).toEqual([2, 'Invalid arguments:\n  - password: The password is too short: use at least 12 characters.']);
    expect(await passwordOf('an.peeters')).toBe(before);
    expect((await idp(p, ['users', 'set-password', 'an.peeters'], ['a brand new passphrase'])).out).toContain('its sessions and tokens have ended');
    expect(await p.services.hasher.verify(await passwordOf('an.peeters'), 'a brand new passphrase')).toBe(true);

    const reset = await idp(p, ['users', 'set-password', 'an.peeters', '--send-reset']);
    expect(reset.out).toContain('A reset link for an.peeters is in the outbox for an@example.be');
    const [mail] = await latestMessages(p.db, 1);
    expect(mail).toMatchObject({ recipient: 'an@example.be', template: 'recovery' });
    expect(mail!.bodyText).toContain(`${p.issuer}/recovery/reset?token=`);
    const noAddress = await idp(p, ['users', 'set-password', 'bram', '--send-reset']);
    expect(noAddress.err).toMatch(/bram has no active account with an e-mail address/);

    const status = async () => JSON.parse((await idp(p, ['users', 'show', 'bram', '--json'])).out).status as string;
    expect((await idp(p, ['users', 'block', 'bram'])).out).toBe('bram is blocked\n');
    expect((await idp(p, ['users', 'block', 'bram'])).out).toBe('bram was already blocked\n');
    expect(await status()).toBe('blocked');
    await idp(p, ['users', 'lock', 'bram']);
    expect(await status()).toBe('locked');
    expect((await idp(p, ['users', 'unblock', 'bram'])).out).toBe('bram is unblocked\n');
    expect(await status()).toBe('active');
    expect((await idp(p, ['users', 'unblock', 'bram'])).out).toBe('bram was neither blocked nor locked\n');

    expect((await idp(p, ['users', 'delete', 'bram'])).out).toMatch(/^Deleted bram \(sub \S+\)\n$/);
    const gone = await idp(p, ['users', 'show', 'bram']);
    expect([gone.code, gone.err]).toEqual([2, 'No user with username or e-mail address "bram" (user_unknown)']);
  });

  it('lists, shows, rotates the secret of and deletes clients, as the token endpoint then sees them', async () => {
    const created = await idp(p, ['clients', 'create', '--name', 'Backend', '--grant', 'client_credentials', '--client-id', 'backend']);
    const secret = /client_secret: (\S+)/.exec(created.out)![1]!;
    const token = (s: string) =>
      fetch(`${p.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`backend:${s}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      }).then(async (r) => (await r.json()) as { error?: string; access_token?: string });
    expect((await token(secret)).access_token).toBeTruthy();

    const listed = JSON.parse((await idp(p, ['clients', 'list', '--json'])).out) as Record<string, unknown>[];
    const backend = listed.find((c) => c.client_id === 'backend');
    expect(backend).toEqual({
      client_id: 'backend',
      client_name: 'Backend',
      public: false,
      first_party: false,
      require_mfa: false,
      redirect_uris: ['https://unused.invalid/'],
      post_logout_redirect_uris: [],
      grant_types: ['client_credentials'],
      scope: 'openid profile email phone offline_access',
      backchannel_logout_uri: null,
      backchannel_logout_session_required: false,
      id_token_alg: 'RS256',
      subject_type: 'public',
    });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect((await idp(p, ['clients', 'show', 'backend'])).out).toContain('type: confidential\ngrants: client_credentials');

    const rotated = /client_secret: (\S+)/.exec((await idp(p, ['clients', 'rotate-secret', 'backend'])).out)![1]!;
    expect(rotated).not.toBe(secret);
    expect((await token(secret)).error).toBe('invalid_client');
    expect((await token(rotated)).access_token).toBeTruthy();

    expect((await idp(p, ['clients', 'delete', 'backend'])).out).toBe('Deleted client backend\n');
    expect((await token(rotated)).error).toBe('invalid_client');
    expect((await idp(p, ['clients', 'delete', 'backend'])).err).toBe('No client with client_id "backend" (client_unknown)');

    // An app whose users must log in with a second factor (provider/oidc/step-up.ts).
    await idp(p, ['clients', 'create', '--name', 'Tax', '--redirect-uri', 'https://tax.example/cb', '--require-mfa', '--client-id', 'tax']);
    expect((await idp(p, ['clients', 'show', 'tax'])).out).toContain('type: confidential, second factor required\n');

    // ID tokens signed with the P-256 key (test/oidc/id-token-alg.test.ts signs and verifies them).
    const fast = ['clients', 'create', '--name', 'Fast', '--redirect-uri', 'https://fast.example/cb', '--id-token-alg'];
    expect((await idp(p, [...fast, 'ES256', '--client-id', 'fast'])).code).toBe(0);
    expect((await idp(p, ['clients', 'show', 'fast'])).out).toContain('ID token signature: ES256\n');
    const odd = await idp(p, [...fast, 'HS256', '--client-id', 'odd']);
    // Told by the option the person typed, not by the schema's field.
    expect([odd.code, odd.err]).toEqual([2, 'Invalid arguments:\n  - --id-token-alg: expected RS256 or ES256']);
    const uris = await idp(p, ['clients', 'create', '--name', 'Two', '--redirect-uri', 'https://ok.example/cb', '--redirect-uri', 'not a url']);
    expect([uris.code, uris.err]).toEqual([2, 'Invalid arguments:\n  - --redirect-uri #2: Invalid URL']);
    const blank = await idp(p, ['clients', 'create', '--name', ' ', '--redirect-uri', 'https://ok.example/cb']);
    expect([blank.code, blank.err]).toEqual([2, 'Invalid arguments:\n  - --name: give the app a name']);
    expect((await idp(p, ['clients', 'show', 'odd'])).code).toBe(2);
  });

  it('registers a client with a back-channel logout URI, https only', async () => {
    const portal = ['clients', 'create', '--name', 'Portal', '--redirect-uri', 'https://portal.example.be/cb'];
    const created = await idp(p, [
      ...portal,
      '--client-id',
      'portal',
      '--backchannel-logout-uri',
      'https://portal.example.be/logout',
      '--backchannel-logout-session-required',
    ]);
    expect(created.code).toBe(0);
    expect((await idp(p, ['clients', 'show', 'portal'])).out).toContain('back-channel logout: https://portal.example.be/logout (sid required)\n');
    const plain = await idp(p, [...portal, '--client-id', 'plain', '--backchannel-logout-uri', 'http://portal.example.be/logout']);
    expect([plain.code, plain.err]).toEqual([2, expect.stringContaining('backchannel_logout_uri must use https')]);
  });
});
