// The `idp` commands that work on the database. Each validates its arguments with one schema and answers with a
// message naming what to fix; nothing is changed when an argument is wrong. They run in the `idp` process, or,
// while a provider serves the embedded database, inside that provider (admin-socket.ts): so they reach the
// database, the terminal and the files only through their context.
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { migrate } from '../../platform/db/migrate.ts';
import type { Services } from '../server.ts';
import { createClient, deleteClient, listClients, rotateClientSecret, showClient, type ClientSummary } from '../../oidc/clients.ts';
import { rotateSigningKeys } from '../../oidc/keys.ts';
import * as orgs from '../../domain/accounts/organisations.ts';
import * as staff from './commands/registrations.ts';
import { upstreamsCommand } from './commands/upstreams.ts';
import { enqueueMail, findMessage } from '../../domain/messaging/outbox.ts';
import { createOutboxWorker } from '../../domain/messaging/worker.ts';
import { transportsFromConfig } from '../../domain/messaging/transports.ts';
import { createPasswordPolicy } from '../../domain/accounts/password-policy.ts';
import { translate } from '../../platform/web/i18n.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { changeAccountStatus } from '../../domain/accounts/staff-status.ts';
import { endAccountAccess } from '../../domain/accounts/end-access.ts';
import { createRecoveryService } from '../../flows/recovery/service.ts';
import { audit } from '../../platform/audit.ts';
import { AppError } from '../../platform/errors.ts';
import { UsageError, type Io } from './io.ts';
import { action, type CommandSpec } from './spec.ts';

export interface CommandContext {
  config: Config;
  io: Io;
  /** The folder the command was typed in: relative file names are read from there. */
  cwd: string;
  db(): Promise<Db>;
  services(): Promise<Services>;
}

const json = (io: Io, value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);

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

/** An account as `idp users list|show --json` prints it: the stable fields, never a hash. */
export type UserSummary = Pick<User, 'sub' | 'username' | 'email' | 'email_verified' | 'phone_number' | 'phone_number_verified' | 'given_name' | 'family_name' | 'status' | 'roles'> & {
  created_at: string;
  password_changed_at: string | null;
};

const userSummary = (u: User): UserSummary => ({
  sub: u.sub,
  username: u.username,
  email: u.email,
  email_verified: u.email_verified,
  phone_number: u.phone_number,
  phone_number_verified: u.phone_number_verified,
  given_name: u.given_name,
  family_name: u.family_name,
  status: u.status,
  roles: u.roles,
  created_at: new Date(u.created_at).toISOString(),
  password_changed_at: u.password_changed_at ? new Date(u.password_changed_at).toISOString() : null,
});

const userLine = (u: User) => [u.username ?? '-', u.email ?? '-', u.status, u.roles.join(',') || '-', u.sub].join('\t');

/** The account named on the command line, by username (or e-mail address when it has no username). */
async function namedUser(s: Services, name: string): Promise<User> {
  const [byUsername] = await s.users.findByIdentifier(s.db, name, 'username');
  const [user] = byUsername ? [byUsername] : await s.users.findByIdentifier(s.db, name, 'email');
  if (!user) throw new AppError('user_unknown', `No user with username or e-mail address "${name}"`, 404);
  return user;
}

const clientLines = (c: ClientSummary) =>
  [
    `client_id: ${c.client_id}`,
    `name: ${c.client_name ?? '-'}`,
    `type: ${c.public ? 'public (PKCE, no secret)' : 'confidential'}${c.first_party ? ', first party (no consent page)' : ''}`,
    `grants: ${c.grant_types.join(', ')}`,
    `redirect URIs: ${c.redirect_uris.join(' ') || '-'}`,
    `post-logout redirect URIs: ${c.post_logout_redirect_uris.join(' ') || '-'}`,
    `scope: ${c.scope ?? '(default)'}`,
  ].join('\n');

const JSON_OPTION = { json: { type: 'boolean', help: 'print JSON (the fields are listed in the README)' } } as const;
const LOCALE_HELP = 'language of the mail: nl, fr, de or en (default DEFAULT_LOCALE)';

/** Block, lock and unblock share their shape: one account, one change. */
const statusAction = (verb: 'block' | 'lock' | 'unblock', summary: string, done: string) =>
  action({
    summary,
    args: ['USERNAME'],
    async run({ args: [named] }, { io, services }: CommandContext) {
      const s = await services();
      const user = await namedUser(s, named!);
      const changed = await changeAccountStatus(s, user, verb, {});
      const name = user.username ?? user.email;
      io.out(changed ? `${name} is ${done}\n` : verb === 'unblock' ? `${name} was neither blocked nor locked\n` : `${name} was already ${done}\n`);
    },
  });

export const commands: Record<string, CommandSpec<CommandContext>> = {
  migrate: {
    summary: 'applies the migrations under migrations/ (idp start does it too)',
    action: action({
      summary: 'Applies the database migrations that have not run yet.',
      async run(_input, { config, io, db }: CommandContext) {
        const applied = await migrate(await db(), config.databaseUrl);
        io.out(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date\n');
      },
    }),
  },

  users: {
    summary: 'accounts: create, list, show, set-password, block, unblock, lock, delete',
    subcommands: {
      create: action({
        summary: 'Creates an active account; asks for the password when --password is not given. The password follows PASSWORD_POLICY.',
        options: {
          username: { type: 'string', arg: 'NAME', help: 'login name: 2–64 letters, digits, dots, dashes or underscores' },
          email: { type: 'string', arg: 'ADDRESS', help: 'e-mail address, taken as verified' },
          password: { type: 'string', arg: 'P', help: 'the password (stays in the shell history: better typed when asked)' },
          'given-name': { type: 'string', arg: 'G', help: 'given name' },
          'family-name': { type: 'string', arg: 'F', help: 'family name' },
          role: { type: 'string', arg: 'admin', multiple: true, help: 'a role; admin opens the staff pages under /admin' },
        },
        async run({ values }, { config, io, services }: CommandContext) {
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
      }),
      list: action({
        summary: 'Lists accounts (at most 500), by username; one per line: username, e-mail, status, roles, sub.',
        options: { search: { type: 'string', arg: 'TEXT', help: 'only accounts whose username, address or name contains TEXT' }, ...JSON_OPTION },
        async run({ values }, { io, services }: CommandContext) {
          const { db, users } = await services();
          const found = await users.search(db, values.search ?? '', 500);
          if (values.json) return json(io, found.map(userSummary));
          io.out(found.length ? `${found.map(userLine).join('\n')}\n` : 'No accounts\n');
        },
      }),
      show: action({
        summary: 'Shows one account (never its password hash).',
        args: ['USERNAME'],
        options: { ...JSON_OPTION },
        async run({ values, args: [name] }, { io, services }: CommandContext) {
          const u = userSummary(await namedUser(await services(), name!));
          if (values.json) return json(io, u);
          io.out(`${Object.entries(u).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') || '-' : (v ?? '-')}`).join('\n')}\n`);
        },
      }),
      'set-password': action({
        summary: 'Sets a new password (asked, following PASSWORD_POLICY) and ends every session and token of the account; or mails a reset link.',
        args: ['USERNAME'],
        options: { 'send-reset': { type: 'boolean', help: 'mail the account a reset link instead (valid RESET_TOKEN_TTL, once)' } },
        async run({ values, args: [name] }, { config, io, services }: CommandContext) {
          const s = await services();
          const user = await namedUser(s, name!);
          const policy = createPasswordPolicy(config);
          if (values['send-reset']) {
            await createRecoveryService({ ...s, policy }).mailLinkFor(user);
            return io.out(`A reset link for ${user.username ?? user.email} is in the outbox for ${user.email}; the serving provider sends it\n`);
          }
          const password = await io.ask('New password: ');
          const checked = policy.check(password, { username: user.username, email: user.email });
          if (!checked.ok) throw new UsageError(`Invalid arguments:\n${checked.failures.map((f) => `  - password: ${translate('en', f.key, f.params)}`).join('\n')}`);
          const hash = await s.hasher.hash(password);
          await s.db.transaction(async (trx) => {
            await s.users.updatePasswordHash(trx, user.id, hash);
            await endAccountAccess(trx, s.tokens, user);
            await audit(trx, 'admin.password_set', { details: { account: user.id, via: 'cli' } });
          });
          io.out(`New password set for ${user.username ?? user.email}; its sessions and tokens have ended\n`);
        },
      }),
      block: statusAction('block', 'Blocks the account and ends its sessions; the holder may take it back with the eID card or an upstream.', 'blocked'),
      unblock: statusAction('unblock', 'Gives a blocked or locked account back (pending again if it was never activated).', 'unblocked'),
      lock: statusAction('lock', 'Locks the account and ends its sessions; only staff give it back (the eID card does not).', 'locked'),
      delete: action({
        summary: 'Deletes the account with its sessions, tokens, links and memberships. Cannot be undone.',
        args: ['USERNAME'],
        async run({ args: [name] }, { io, services }: CommandContext) {
          const s = await services();
          const user = await namedUser(s, name!);
          await s.db.transaction(async (trx) => {
            await endAccountAccess(trx, s.tokens, user);
            await trx('users').where({ id: user.id }).delete();
            await audit(trx, 'admin.deleted', { details: { account: user.id, username: user.username, via: 'cli' } });
          });
          io.out(`Deleted ${user.username ?? user.email} (sub ${user.sub})\n`);
        },
      }),
    },
  },

  clients: {
    summary: 'relying apps: create, list, show, delete, rotate-secret',
    subcommands: {
      create: action({
        summary: 'Registers a relying app and prints its client_id and, for a confidential one, its secret (shown only now).',
        options: {
          name: { type: 'string', arg: 'N', help: 'name shown on the consent page' },
          'redirect-uri': { type: 'string', arg: 'URL', multiple: true, help: 'where the provider sends the browser back (repeat for several)' },
          'post-logout-redirect-uri': { type: 'string', arg: 'URL', multiple: true, help: 'where the browser may go after logout' },
          public: { type: 'boolean', help: 'no secret, PKCE required (single-page and mobile apps)' },
          'first-party': { type: 'boolean', help: 'an app of your own: no consent page' },
          grant: { type: 'string', arg: 'TYPE', multiple: true, help: 'authorization_code, refresh_token or client_credentials (default the first two)' },
          scope: { type: 'string', arg: 'S', help: 'the scopes the app may ask, space-separated' },
          'client-id': { type: 'string', arg: 'ID', help: 'a chosen client_id instead of a random one' },
        },
        async run({ values }, { io, services }: CommandContext) {
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
      }),
      list: action({
        summary: 'Lists the relying apps (never their secrets); one per line: client_id, name, type.',
        options: { ...JSON_OPTION },
        async run({ values }, { io, db }: CommandContext) {
          const clients = await listClients(await db());
          if (values.json) return json(io, clients);
          io.out(clients.length ? `${clients.map((c) => [c.client_id, c.client_name ?? '-', c.public ? 'public' : 'confidential', c.first_party ? 'first party' : ''].filter(Boolean).join('\t')).join('\n')}\n` : 'No clients\n');
        },
      }),
      show: action({
        summary: 'Shows one relying app (never its secret).',
        args: ['CLIENT_ID'],
        options: { ...JSON_OPTION },
        async run({ values, args: [id] }, { io, services }: CommandContext) {
          const c = await showClient((await services()).provider(), id!);
          if (values.json) return json(io, c);
          io.out(`${clientLines(c)}\n`);
        },
      }),
      delete: action({
        summary: 'Deletes a relying app: its tokens stop working.',
        args: ['CLIENT_ID'],
        async run({ args: [id] }, { io, services }: CommandContext) {
          await deleteClient((await services()).provider(), id!);
          io.out(`Deleted client ${id}\n`);
        },
      }),
      'rotate-secret': action({
        summary: 'Gives a confidential app a new secret, printed once; the old one stops working.',
        args: ['CLIENT_ID'],
        async run({ args: [id] }, { io, services }: CommandContext) {
          const secret = await rotateClientSecret((await services()).provider(), id!);
          io.out(`client_id: ${id}\nclient_secret: ${secret}\n`);
        },
      }),
    },
  },

  keys: {
    summary: 'signing keys: rotate',
    subcommands: {
      rotate: action({
        summary: 'New signing keys sign from now on; the old ones stay in the JWKS until their tokens have expired.',
        async run(_input, { config, io, db }: CommandContext) {
          // Old keys stay published as long as an ID token signed by them can still be presented.
          const keep = Math.max(config.idTokenTtl, config.accessTokenTtl) + config.keysRefreshSeconds + 60;
          const kids = await rotateSigningKeys(await db(), keep);
          io.out(`New signing keys: ${kids.join(', ')}\nRunning processes use them within ${config.keysRefreshSeconds} s; old keys stay in the JWKS for ${keep} s.\n`);
        },
      }),
    },
  },

  mail: {
    summary: 'mail: test',
    subcommands: {
      test: action({
        summary: 'Sends a test mail through the outbox and the configured SMTP server, and says whether it was delivered.',
        options: { to: { type: 'string', arg: 'ADDRESS', help: 'recipient' }, locale: { type: 'string', arg: 'L', help: LOCALE_HELP } },
        async run({ values }, { config, io, db: open }: CommandContext) {
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
      }),
    },
  },

  /** Organisations for notifications: staff put users in them; one set not to notify never alerts its members. */
  orgs: {
    summary: 'organisations for notifications: list, create, add-member, remove-member, set-notify',
    subcommands: {
      list: action({
        summary: 'Lists the organisations, their member counts and whether they notify.',
        async run(_input, { io, db }: CommandContext) {
          for (const o of await orgs.listOrganisations(await db())) io.out(`${o.name}\t${o.members} member(s)\t${o.notify ? 'notifies' : 'does not notify'}\n`);
        },
      }),
      create: action({
        summary: 'Creates an organisation.',
        args: ['NAME'],
        options: { 'no-notify': { type: 'boolean', help: 'its notifications are recorded as skipped' } },
        async run({ values, args: [name] }, { io, db }: CommandContext) {
          const o = await orgs.createOrganisation(await db(), name!, !values['no-notify']);
          io.out(`Created organisation ${o.name} (${o.notify ? 'notifies' : 'does not notify'})\n`);
        },
      }),
      'add-member': action({ summary: 'Puts a user in an organisation.', args: ['ORG', 'USERNAME'], run: ({ args: [org, name] }, ctx: CommandContext) => membership(ctx, 'add', org!, name!) }),
      'remove-member': action({ summary: 'Takes a user out of an organisation.', args: ['ORG', 'USERNAME'], run: ({ args: [org, name] }, ctx: CommandContext) => membership(ctx, 'remove', org!, name!) }),
      'set-notify': action({
        summary: 'Decides whether an organisation sends notifications: on or off.',
        args: ['ORG', 'on|off'],
        async run({ args: [org, value] }, { io, db: open }: CommandContext) {
          if (value !== 'on' && value !== 'off') throw new UsageError('usage: idp orgs set-notify ORG on|off');
          const db = await open();
          const o = await orgs.getOrganisation(db, org!);
          await orgs.setOrganisationNotify(db, o.id, value === 'on');
          io.out(`${o.name} ${value === 'on' ? 'notifies' : 'does not notify'} from now on\n`);
        },
      }),
    },
  },

  invitations: {
    summary: 'school credentials: import, rename',
    subcommands: {
      import: action({
        summary: 'Imports people (given name, family name, group, optional e-mail) and writes the sheet of slips with their initial passwords.',
        args: ['FILE.csv'],
        options: {
          partial: { type: 'boolean', help: 'import the good rows even when some are bad (the skipped lines are named)' },
          sheet: { type: 'string', arg: 'OUT.html', help: 'where to write the slips (default FILE-slips.html)' },
          locale: { type: 'string', arg: 'L', help: 'language of the slips: nl, fr, de or en (default DEFAULT_LOCALE)' },
        },
        async run({ values, args: [file] }, { io, cwd, services }: CommandContext) {
          const sheet = values.sheet === undefined ? undefined : path.resolve(cwd, values.sheet);
          print(io, await staff.importInvitationsCommand(await services(), path.resolve(cwd, file!), { ...values, sheet }));
        },
      }),
      rename: action({
        summary: 'Gives an invitation another username, before the person has registered.',
        args: ['USERNAME', 'NEW'],
        async run({ args: [username, next] }, { io, services }: CommandContext) {
          print(io, await staff.renameInvitationCommand(await services(), username!, next!));
        },
      }),
    },
  },

  customers: {
    summary: 'customer records: import',
    subcommands: {
      import: action({
        summary: 'Imports customer records (customer number, family or company name); known numbers take the new name.',
        args: ['FILE.csv'],
        options: { partial: { type: 'boolean', help: 'import the good rows even when some are bad' } },
        async run({ values, args: [file] }, { io, cwd, services }: CommandContext) {
          print(io, await staff.importCustomersCommand(await services(), path.resolve(cwd, file!), values));
        },
      }),
    },
  },

  registrations: {
    summary: 'registrations waiting for review: list, approve, reject',
    subcommands: {
      list: action({
        summary: 'Lists the registrations with corrected names waiting for review.',
        run: async (_input, { io, services }: CommandContext) => print(io, await staff.registrationsCommand(await services(), 'list', undefined, {})),
      }),
      approve: action({
        summary: 'Approves a registration and mails the activation link.',
        args: ['ID'],
        options: { username: { type: 'string', arg: 'NEW', help: 'another username than the one derived from the corrected names' } },
        run: async ({ values, args: [id] }, { io, services }: CommandContext) => print(io, await staff.registrationsCommand(await services(), 'approve', id, values)),
      }),
      reject: action({
        summary: 'Rejects a registration; the person is mailed.',
        args: ['ID'],
        options: { reason: { type: 'string', arg: 'TEXT', help: 'the reason given in the mail' } },
        run: async ({ values, args: [id] }, { io, services }: CommandContext) => print(io, await staff.registrationsCommand(await services(), 'reject', id, values)),
      }),
    },
  },

  /** Upstream OpenID providers (a bank, a government login): upstreams.ts. */
  upstreams: {
    summary: 'upstream OpenID providers: add, list, remove',
    subcommands: {
      add: action({
        summary: 'Adds an upstream provider; asks for the client secret when not given, and keeps it encrypted.',
        options: {
          slug: { type: 'string', arg: 'S', help: 'short name in URLs: lower-case letters, digits, dashes' },
          name: { type: 'string', arg: 'N', help: 'name on the buttons ("Log in with N")' },
          issuer: { type: 'string', arg: 'URL', help: 'the upstream issuer (https; http only on 127.0.0.1/localhost)' },
          'client-id': { type: 'string', arg: 'ID', help: 'our client_id at the upstream' },
          'client-secret': { type: 'string', arg: 'S', help: 'our client secret there (better typed when asked)' },
          scope: { type: 'string', arg: '"openid profile"', help: 'the scopes asked (default "openid profile email")' },
          'subject-claim': { type: 'string', arg: 'sub|email|national_number', help: 'the claim that recognises the person' },
          use: { type: 'string', arg: 'login,link,reactivation', help: 'where it is offered (default all three)' },
          logo: { type: 'string', arg: 'FILE|URL', help: 'logo on the buttons, stored as a data: URI' },
          'acr-from-upstream': { type: 'boolean', help: "ID tokens carry the upstream's acr instead of urn:belid:acr:fed" },
          'trust-national-number': { type: 'boolean', help: 'a national number it states logs into the card-linked account without a link (full trust: see README)' },
        },
        async run({ values }, { io, cwd, services }: CommandContext) {
          const logo = values.logo === undefined || /^https?:\/\//.test(values.logo) ? values.logo : path.resolve(cwd, values.logo);
          print(io, await upstreamsCommand(await services(), 'add', undefined, { ...values, logo }, () => io.ask('Client secret: ')));
        },
      }),
      list: action({
        summary: 'Lists the upstream providers (never their secrets).',
        run: async (_input, { io, services }: CommandContext) => print(io, await upstreamsCommand(await services(), 'list', undefined, {}, () => io.ask(''))),
      }),
      remove: action({
        summary: 'Removes an upstream provider and the identities linked at it.',
        args: ['SLUG'],
        run: async ({ args: [slug] }, { io, services }: CommandContext) => print(io, await upstreamsCommand(await services(), 'remove', slug, {}, () => io.ask(''))),
      }),
    },
  },
};

async function membership({ io, services }: CommandContext, change: 'add' | 'remove', org: string, name: string): Promise<void> {
  const { db, users } = await services();
  const o = await orgs.getOrganisation(db, org);
  const [user] = await users.findByIdentifier(db, name, 'username');
  if (!user) throw new UsageError(`No user with username "${name}"`);
  const changed = change === 'add' ? await orgs.addMember(db, o.id, user.id) : await orgs.removeMember(db, o.id, user.id);
  io.out(`${user.username} ${changed ? (change === 'add' ? 'added to' : 'removed from') : change === 'add' ? 'was already in' : 'was not in'} ${o.name}\n`);
}
