// The `idp` commands that work on the database. Each validates its arguments with one schema and answers with a
// message naming what to fix; nothing is changed when an argument is wrong. They run in the `idp` process, or,
// while a provider serves the embedded database, inside that provider (admin-socket.ts): so they reach the
// database, the terminal and the files only through their context.
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { migrate } from '../db/migrate.ts';
import type { Services } from '../server.ts';
import { createClient } from '../oidc/clients.ts';
import { rotateSigningKeys } from '../oidc/keys.ts';
import * as orgs from '../accounts/organisations.ts';
import * as staff from '../flows/registration/commands.ts';
import { upstreamsCommand } from '../upstream/commands.ts';
import { enqueueMail, findMessage } from '../messaging/outbox.ts';
import { createOutboxWorker } from '../messaging/worker.ts';
import { transportsFromConfig } from '../messaging/transports.ts';
import { createPasswordPolicy } from '../accounts/password-policy.ts';
import { translate } from '../http/i18n.ts';
import { UsageError, type Io } from './io.ts';

export interface CommandContext {
  config: Config;
  io: Io;
  /** The folder the command was typed in: relative file names are read from there. */
  cwd: string;
  db(): Promise<Db>;
  services(): Promise<Services>;
}

type Command = (argv: string[], ctx: CommandContext) => Promise<void>;

function args<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

function print(io: Io, out: staff.CommandOutput): void {
  io.out(out.stdout);
  if (out.stderr) io.err(out.stderr);
  if (!out.ok) io.exitCode = 1;
}

/** A new account's data; its password meets PASSWORD_POLICY, as on every page that sets one. */
const userInput = (config: Config) => {
  const policy = createPasswordPolicy(config);
  return z
    .object({
      username: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/i, 'a username is 2–64 letters, digits, dots, dashes or underscores'),
      email: z.email('expected an e-mail address').optional(),
      password: z.string(),
      givenName: z.string().trim().max(200).optional(),
      familyName: z.string().trim().max(200).optional(),
      roles: z.array(z.enum(['admin'])).default([]),
    })
    .superRefine((u, ctx) => {
      for (const f of policy.check(u.password, { username: u.username, email: u.email ?? null }).failures) {
        ctx.addIssue({ code: 'custom', path: ['password'], message: translate('en', f.key, f.params) });
      }
    });
};

export const commands: Record<string, Command> = {
  async migrate(_argv, { config, io, db }) {
    const applied = await migrate(await db(), config.databaseUrl);
    io.out(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date\n');
  },

  async users(argv, { config, io, services }) {
    const { positionals, values } = args(argv, {
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'given-name': { type: 'string' },
      'family-name': { type: 'string' },
      role: { type: 'string', multiple: true },
    });
    if (positionals[0] !== 'create') throw new UsageError('usage: idp users create --username NAME [--email ADDRESS] [--password P] [--given-name G] [--family-name F] [--role admin]');
    const input = userInput(config).parse({
      username: values.username,
      email: values.email,
      password: values.password ?? (await io.ask('Password: ')),
      givenName: values['given-name'],
      familyName: values['family-name'],
      roles: values.role ?? [],
    });
    const { db, users, hasher } = await services();
    const user = await users.create(db, {
      username: input.username,
      email: input.email ?? null,
      emailVerified: Boolean(input.email),
      givenName: input.givenName ?? null,
      familyName: input.familyName ?? null,
      passwordHash: await hasher.hash(input.password),
      status: 'active',
      roles: input.roles,
    });
    io.out(`Created user ${user.username} (sub ${user.sub})\n`);
  },

  async clients(argv, { io, services }) {
    const { positionals, values } = args(argv, {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      grant: { type: 'string', multiple: true },
      scope: { type: 'string' },
      'client-id': { type: 'string' },
    });
    if (positionals[0] !== 'create') throw new UsageError('usage: idp clients create --name NAME --redirect-uri URL [--public] [--first-party] [--grant TYPE]… [--scope "…"]');
    const grants = values.grant ?? ['authorization_code', 'refresh_token'];
    const { provider } = await services();
    const created = await createClient(provider(), {
      name: values.name ?? '',
      redirectUris: values['redirect-uri'] ?? (grants.includes('authorization_code') ? [] : ['https://unused.invalid/']),
      postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
      public: values.public ?? false,
      firstParty: values['first-party'] ?? false,
      grants: grants as never,
      scope: values.scope,
      clientId: values['client-id'],
    });
    io.out(`client_id: ${created.client_id}\n${created.client_secret ? `client_secret: ${created.client_secret}\n` : 'public client: no secret, PKCE required\n'}`);
  },

  async keys(argv, { config, io, db }) {
    const { positionals } = args(argv, {});
    if (positionals[0] !== 'rotate') throw new UsageError('usage: idp keys rotate');
    // Old keys stay published as long as an ID token signed by them can still be presented.
    const keep = Math.max(config.idTokenTtl, config.accessTokenTtl) + config.keysRefreshSeconds + 60;
    const kids = await rotateSigningKeys(await db(), keep);
    io.out(`New signing keys: ${kids.join(', ')}\nRunning processes use them within ${config.keysRefreshSeconds} s; old keys stay in the JWKS for ${keep} s.\n`);
  },

  /** Sends a test mail through the outbox and the configured transport, and says whether it was delivered. */
  async mail(argv, { config, io, db: open }) {
    const { positionals, values } = args(argv, { to: { type: 'string' }, locale: { type: 'string' } });
    if (positionals[0] !== 'test') throw new UsageError('usage: idp mail test --to ADDRESS [--locale nl|fr|de|en]');
    const input = z.object({ to: z.email('expected an e-mail address'), locale: z.enum(['nl', 'fr', 'de', 'en']).default(config.defaultLocale) }).parse(values);
    const db = await open();
    const id = await enqueueMail(db, {
      to: input.to,
      template: 'notice',
      locale: input.locale,
      params: { title: { key: 'mail.test.title' }, paragraphs: [{ key: 'mail.test.body' }] },
    });
    const worker = createOutboxWorker({ db, transports: transportsFromConfig(config), pollMs: 1000, maxAttempts: 1, backoff: { baseMs: 1000, maxMs: 1000 } });
    await worker.drain();
    const sent = await findMessage(db, id);
    io.out(sent?.status === 'sent' ? `Sent to ${input.to} via ${sent.transport}\n` : `Not sent: ${sent?.lastError ?? 'unknown error'}\n`);
    if (sent?.status !== 'sent') io.exitCode = 1;
  },

  /** Organisations for notifications: staff put users in them; one set to --no-notify never alerts its members. */
  async orgs(argv, { io, services }) {
    const { positionals, values } = args(argv, { 'no-notify': { type: 'boolean' } });
    const [action, org = '', value = ''] = positionals;
    const usage = 'usage: idp orgs list | create NAME [--no-notify] | add-member ORG USERNAME | remove-member ORG USERNAME | set-notify ORG on|off';
    if (!action || !['list', 'create', 'add-member', 'remove-member', 'set-notify'].includes(action)) throw new UsageError(usage);
    if (action === 'set-notify' && value !== 'on' && value !== 'off') throw new UsageError(usage);
    const { db, users } = await services();
    const out = (line: string) => io.out(`${line}\n`);
    if (action === 'list') {
      for (const o of await orgs.listOrganisations(db)) out(`${o.name}\t${o.members} member(s)\t${o.notify ? 'notifies' : 'does not notify'}`);
    } else if (action === 'create') {
      const o = await orgs.createOrganisation(db, org, !values['no-notify']);
      out(`Created organisation ${o.name} (${o.notify ? 'notifies' : 'does not notify'})`);
    } else if (action === 'set-notify') {
      const o = await orgs.getOrganisation(db, org);
      await orgs.setOrganisationNotify(db, o.id, value === 'on');
      out(`${o.name} ${value === 'on' ? 'notifies' : 'does not notify'} from now on`);
    } else {
      const o = await orgs.getOrganisation(db, org);
      const [user] = await users.findByIdentifier(db, value, 'username');
      if (!user) throw new UsageError(`No user with username "${value}"`);
      const changed = action === 'add-member' ? await orgs.addMember(db, o.id, user.id) : await orgs.removeMember(db, o.id, user.id);
      out(`${user.username} ${changed ? (action === 'add-member' ? 'added to' : 'removed from') : action === 'add-member' ? 'was already in' : 'was not in'} ${o.name}`);
    }
  },

  async invitations(argv, { io, cwd, services }) {
    const { positionals: [action, a, b], values } = args(argv, { partial: { type: 'boolean' }, sheet: { type: 'string' }, locale: { type: 'string' } });
    if (action === 'import' && a) {
      const sheet = values.sheet === undefined ? undefined : path.resolve(cwd, values.sheet);
      return print(io, await staff.importInvitationsCommand(await services(), path.resolve(cwd, a), { ...values, sheet }));
    }
    if (action === 'rename' && a && b) return print(io, await staff.renameInvitationCommand(await services(), a, b));
    throw new UsageError('usage: idp invitations import FILE.csv [--partial] [--sheet OUT.html] [--locale nl|fr|de|en] | idp invitations rename USERNAME NEW');
  },

  async customers(argv, { io, cwd, services }) {
    const { positionals: [action, file], values } = args(argv, { partial: { type: 'boolean' } });
    if (action !== 'import' || !file) throw new UsageError('usage: idp customers import FILE.csv [--partial]');
    print(io, await staff.importCustomersCommand(await services(), path.resolve(cwd, file), values));
  },

  async registrations(argv, { io, services }) {
    const { positionals: [action = '', id], values } = args(argv, { username: { type: 'string' }, reason: { type: 'string' } });
    print(io, await staff.registrationsCommand(await services(), action, id, values));
  },

  /** Upstream OpenID providers (a bank, a government login): provider/upstream/commands.ts. */
  async upstreams(argv, { io, cwd, services }) {
    const { positionals: [action = '', slug], values } = args(argv, {
      slug: { type: 'string' },
      name: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      scope: { type: 'string' },
      'subject-claim': { type: 'string' },
      use: { type: 'string' },
      logo: { type: 'string' },
      'acr-from-upstream': { type: 'boolean' },
    });
    const logo = values.logo === undefined || /^https?:\/\//.test(values.logo) ? values.logo : path.resolve(cwd, values.logo);
    print(io, await upstreamsCommand(await services(), action, slug, { ...values, logo }, () => io.ask('Client secret: ')));
  },
};
