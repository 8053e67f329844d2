// `idp users`: accounts created, listed, shown, given a password, blocked, locked and deleted by staff.
import { z } from 'zod';
import type { Config } from '../../settings.ts';
import type { Services } from '../../services.ts';
import { createPasswordPolicy } from '../../../domain/accounts/password-policy.ts';
import { emailAddressSchema } from '../../../platform/web/email-address.ts';
import type { User } from '../../../domain/accounts/repository.ts';
import { changeAccountStatus } from '../../../domain/accounts/staff-status.ts';
import { endAccountAccess } from '../../../domain/accounts/end-access.ts';
import { eraseAccount } from '../../../domain/accounts/personal-data.ts';
import { exportPersonalData } from '../../../flows/account/personal-data.ts';
import { createRecoveryService } from '../../../flows/recovery/service.ts';
import { formatTimestamp, LOCALES, translate } from '../../../platform/web/i18n.ts';
import { audit } from '../../../platform/audit.ts';
import { AppError } from '../../../platform/errors.ts';
import { json, JSON_OPTION, type CommandContext } from '../context.ts';
import { askNewPassword, UsageError } from '../io.ts';
import { action, type CommandSpec } from '../spec.ts';
import { nationalNumberKey } from '../../../domain/accounts/national-number-key.ts';
import { recordCliView, searchDetails, VIEWS } from '../../../flows/admin/view-record.ts';

/** A new account's data; its password meets PASSWORD_POLICY, as on every page that sets one. */
const userInput = (config: Config) => {
  const policy = createPasswordPolicy(config);
  return z
    .object({
      username: z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/i, 'a username is 2–64 letters, digits, dots, dashes or underscores'),
      email: emailAddressSchema('expected an e-mail address').optional(),
      password: z.string(),
      givenName: z.string().trim().max(200).optional(),
      familyName: z.string().trim().max(200).optional(),
      roles: z.array(z.enum(['admin'])).default([]),
      // As a person writes it: NL, Fr and nl are Dutch and French alike.
      locale: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(LOCALES, { message: 'expected nl, fr, de or en' })).optional(),
    })
    .superRefine((u, ctx) => {
      for (const f of policy.check(u.password, { username: u.username, email: u.email ?? null }).failures) {
        ctx.addIssue({ code: 'custom', path: ['password'], message: translate('en', f.key, f.params) });
      }
    });
};

/** An account as `idp users list|show --json` prints it: the stable fields, never a hash. */
export type UserSummary = Pick<
  User,
  'sub' | 'username' | 'email' | 'email_verified' | 'phone_number' | 'phone_number_verified' | 'given_name' | 'family_name' | 'status' | 'roles'
> & {
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
  if (!user) throw new AppError('user_unknown', 'error.user_unknown_name', 404, { name });
  return user;
}

/** Block, lock and unblock share their shape: one account, one change. */
const statusAction = (verb: 'block' | 'lock' | 'unblock', summary: string, done: string) =>
  action({
    summary,
    args: ['USERNAME'],
    async run({ args: [named] }, { io, services }: CommandContext) {
      const s = await services();
      const user = await namedUser(s, named!);
      const changed = await s.db.transaction((trx) => changeAccountStatus(trx, s, user, verb, {}));
      const name = user.username ?? user.email;
      io.out(changed ? `${name} is ${done}\n` : verb === 'unblock' ? `${name} was neither blocked nor locked\n` : `${name} was already ${done}\n`);
    },
  });

export const users: CommandSpec<CommandContext> = {
  summary: 'accounts: create, list, show, set-password, block, unblock, lock, delete',
  subcommands: {
    create: action({
      summary: 'Creates an active account; asks for the password when --password is not given (twice at a terminal). The password follows PASSWORD_POLICY.',
      options: {
        username: { type: 'string', arg: 'NAME', required: true, help: 'login name: 2–64 letters, digits, dots, dashes or underscores' },
        email: { type: 'string', arg: 'ADDRESS', help: 'e-mail address, taken as verified' },
        password: { type: 'string', arg: 'P', help: 'the password (stays in the shell history: better typed when asked)' },
        'given-name': { type: 'string', arg: 'G', help: 'given name' },
        'family-name': { type: 'string', arg: 'F', help: 'family name' },
        role: { type: 'string', arg: 'admin', multiple: true, help: 'a role; admin opens the staff pages under /admin' },
        locale: {
          type: 'string',
          arg: 'nl|fr|de|en',
          help: 'language of the mails and SMS; without it none is chosen: DEFAULT_LOCALE, until the person picks one on /account',
        },
      },
      async run({ values }, { config, io, services }: CommandContext) {
        const input = userInput(config).parse({
          username: values.username,
          email: values.email,
          password: values.password ?? (await askNewPassword(io, 'Password: ', ', or give it with --password')),
          givenName: values['given-name'],
          familyName: values['family-name'],
          roles: values.role ?? [],
          locale: values.locale,
        });
        const { db, users, hasher } = await services();
        const passwordHash = await hasher.hash(input.password);
        // The account and its audit row commit together: an account made from the command line is never unrecorded.
        const user = await db.transaction(async (trx) => {
          const created = await users.create(trx, {
            username: input.username,
            email: input.email ?? null,
            emailVerified: Boolean(input.email),
            givenName: input.givenName ?? null,
            familyName: input.familyName ?? null,
            passwordHash,
            status: 'active',
            roles: input.roles,
            locale: input.locale ?? null,
          });
          await audit(trx, 'admin.account_created', { userId: created.id, details: { roles: created.roles, via: 'cli' } });
          return created;
        });
        io.out(`Created user ${user.username} (sub ${user.sub})\n`);
      },
    }),
    list: action({
      summary: 'Lists accounts (at most 500), by username; one per line: username, e-mail, status, roles, sub.',
      options: { search: { type: 'string', arg: 'TEXT', help: 'only accounts whose username, address or name contains TEXT' }, ...JSON_OPTION },
      async run({ values }, { config, io, services }: CommandContext) {
        const { db, users } = await services();
        const q = values.search ?? '';
        const found = await users.search(db, q, 500);
        await recordCliView(db, VIEWS.search, searchDetails(q, await nationalNumberKey(config, db)(), found.length));
        if (values.json) return json(io, found.map(userSummary));
        io.out(found.length ? `${found.map(userLine).join('\n')}\n` : 'No accounts\n');
      },
    }),
    show: action({
      summary: 'Shows one account (never its password hash).',
      args: ['USERNAME'],
      options: { ...JSON_OPTION },
      async run({ values, args: [name] }, { io, services }: CommandContext) {
        const s = await services();
        const user = await namedUser(s, name!);
        await recordCliView(s.db, VIEWS.person, { command: 'show' }, user.id);
        const u = userSummary(user);
        if (values.json) return json(io, u);
        // The JSON keeps ISO 8601 for programs; a person reads the times as every other command prints them.
        const shown = { ...u, created_at: formatTimestamp(u.created_at), password_changed_at: u.password_changed_at && formatTimestamp(u.password_changed_at) };
        io.out(
          `${Object.entries(shown)
            .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') || '-' : (v ?? '-')}`)
            .join('\n')}\n`,
        );
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
        const password = await askNewPassword(io, 'New password: ');
        const checked = policy.check(password, { username: user.username, email: user.email });
        if (!checked.ok)
          throw new UsageError(`Invalid arguments:\n${checked.failures.map((f) => `  - password: ${translate('en', f.key, f.params)}`).join('\n')}`);
        const hash = await s.hasher.hash(password);
        await s.db.transaction(async (trx) => {
          await s.users.updatePasswordHash(trx, user.id, hash);
          await endAccountAccess(trx, s.tokens, user);
          await audit(trx, 'admin.password_set', { userId: user.id, details: { via: 'cli' } });
        });
        io.out(`New password set for ${user.username ?? user.email}; its sessions and tokens have ended\n`);
      },
    }),
    block: statusAction('block', 'Blocks the account and ends its sessions; the holder may take it back with the eID card or an upstream.', 'blocked'),
    unblock: statusAction('unblock', 'Gives a blocked or locked account back (pending again if it was never activated).', 'unblocked'),
    lock: statusAction('lock', 'Locks the account and ends its sessions; only staff give it back (the eID card does not).', 'locked'),
    export: action({
      summary: 'Prints everything held about an account as JSON, as the person downloads it from /account/data.',
      args: ['USERNAME'],
      async run({ args: [name] }, { io, services }: CommandContext) {
        const s = await services();
        const user = await namedUser(s, name!);
        await recordCliView(s.db, VIEWS.person, { command: 'export' }, user.id);
        json(io, await exportPersonalData(s.db, s.provider(), user));
      },
    }),
    delete: action({
      summary: 'Erases the account and its personal data everywhere (sessions, tokens, links, memberships, mails); cannot be undone.',
      args: ['USERNAME'],
      async run({ args: [name] }, { io, services }: CommandContext) {
        const s = await services();
        const user = await namedUser(s, name!);
        await s.db.transaction((trx) => eraseAccount(trx, s, user, 'cli'));
        io.out(`Deleted ${user.username ?? user.email} (sub ${user.sub})\n`);
      },
    }),
  },
};
