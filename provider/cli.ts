#!/usr/bin/env node
// `idp`: start the provider and administer it. Each command validates its arguments with one schema and
// answers with a message naming what to fix; nothing is changed when an argument is wrong.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { loadConfig, settingsTable, ConfigError, type Config } from './config.ts';
import { createDb } from './db/knex.ts';
import { migrate } from './db/migrate.ts';
import { createServices, startServer } from './server.ts';
import { createClient } from './oidc/clients.ts';
import { rotateSigningKeys } from './oidc/keys.ts';
import { isAppError } from './errors.ts';
import * as orgs from './accounts/organisations.ts';
import { log } from './log.ts';
import * as staff from './flows/registration/commands.ts';
import { upstreamsCommand } from './upstream/commands.ts';
import { enqueueMail, findMessage } from './messaging/outbox.ts';
import { createOutboxWorker } from './messaging/worker.ts';
import { transportsFromConfig } from './messaging/transports.ts';
import cluster from 'node:cluster';

/** WORKERS processes share the port; the database holds all state, so any of them can serve any request. */
async function startCluster(config: Config) {
  // Migrate once before forking, so that workers start on an up-to-date schema.
  const db = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db, config.databaseUrl);
  await db.destroy();
  for (let i = 0; i < config.workers; i++) cluster.fork();
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    log.warn('worker exited; starting another', { pid: worker.process.pid, code });
    cluster.fork();
  });
  log.info('provider cluster', { workers: config.workers, issuer: config.issuerUrl });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

type Command = (argv: string[], config: Config) => Promise<void>;

function args<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/** Reads a password from the terminal without echo, or one line from a pipe. */
async function readPassword(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stdout.write(prompt);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  rl.close();
  if (process.stdin.isTTY) process.stdout.write('\n');
  return line;
}

async function withServices<T>(config: Config, fn: (s: Awaited<ReturnType<typeof createServices>>) => Promise<T>): Promise<T> {
  const db = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await fn(await createServices(config, db));
  } finally {
    await db.destroy();
  }
}

const userInput = z.object({
  username: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/i, 'a username is 2–64 letters, digits, dots, dashes or underscores'),
  email: z.email('expected an e-mail address').optional(),
  password: z.string().min(8, 'a password has at least 8 characters').max(1024),
  givenName: z.string().trim().max(200).optional(),
  familyName: z.string().trim().max(200).optional(),
  roles: z.array(z.enum(['admin'])).default([]),
});

const commands: Record<string, Command> = {
  async start(_argv, config) {
    if (config.workers > 1 && cluster.isPrimary) return startCluster(config);
    const running = await startServer(config);
    if (cluster.isWorker) {
      process.once('SIGTERM', () => running.close().then(() => process.exit(0)));
      return;
    }
    const where = config.issuerUrl;
    log.info('provider listening', { url: running.url, issuer: where, database: config.databaseUrl ? 'postgresql' : `embedded (${config.dataDir})` });
    process.stdout.write(
      [
        '',
        `  Identity provider at ${where}  (discovery: ${where}/.well-known/openid-configuration)`,
        config.databaseUrl ? '  Database: PostgreSQL (DATABASE_URL)' : `  Database: embedded PostgreSQL in ${config.dataDir}`,
        '',
        '  Create a first user and a client in another terminal:',
        '    npx idp users create --username alice --email alice@example.org --role admin',
        '    npx idp clients create --name "My app" --redirect-uri http://localhost:8080/callback --first-party',
        '',
      ].join('\n') + '\n',
    );
    const stop = async () => {
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },

  async migrate(_argv, config) {
    const db = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const applied = await migrate(db, config.databaseUrl);
      process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date\n');
    } finally {
      await db.destroy();
    }
  },

  async users(argv, config) {
    const { positionals, values } = args(argv, {
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'given-name': { type: 'string' },
      'family-name': { type: 'string' },
      role: { type: 'string', multiple: true },
    });
    if (positionals[0] !== 'create') throw new UsageError('usage: idp users create --username NAME [--email ADDRESS] [--password P] [--given-name G] [--family-name F] [--role admin]');
    const input = userInput.parse({
      username: values.username,
      email: values.email,
      password: values.password ?? (await readPassword('Password: ')),
      givenName: values['given-name'],
      familyName: values['family-name'],
      roles: values.role ?? [],
    });
    await withServices(config, async ({ db, users, hasher }) => {
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
      process.stdout.write(`Created user ${user.username} (sub ${user.sub})\n`);
    });
  },

  async clients(argv, config) {
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
    await withServices(config, async ({ provider }) => {
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
      process.stdout.write(`client_id: ${created.client_id}\n${created.client_secret ? `client_secret: ${created.client_secret}\n` : 'public client: no secret, PKCE required\n'}`);
    });
  },

  async keys(argv, config) {
    const { positionals } = args(argv, {});
    if (positionals[0] !== 'rotate') throw new UsageError('usage: idp keys rotate');
    await withServices(config, async ({ db }) => {
      // Old keys stay published as long as an ID token signed by them can still be presented.
      const keep = Math.max(config.idTokenTtl, config.accessTokenTtl) + config.keysRefreshSeconds + 60;
      const kids = await rotateSigningKeys(db, keep);
      process.stdout.write(`New signing keys: ${kids.join(', ')}\nRunning processes use them within ${config.keysRefreshSeconds} s; old keys stay in the JWKS for ${keep} s.\n`);
    });
  },

  /** Sends a test mail through the outbox and the configured transport, and says whether it was delivered. */
  async mail(argv, config) {
    const { positionals, values } = args(argv, { to: { type: 'string' }, locale: { type: 'string' } });
    if (positionals[0] !== 'test') throw new UsageError('usage: idp mail test --to ADDRESS [--locale nl|fr|de|en]');
    const input = z.object({ to: z.email('expected an e-mail address'), locale: z.enum(['nl', 'fr', 'de', 'en']).default(config.defaultLocale) }).parse(values);
    await withServices(config, async ({ db }) => {
      const id = await enqueueMail(db, {
        to: input.to,
        template: 'notice',
        locale: input.locale,
        params: { title: { key: 'mail.test.title' }, paragraphs: [{ key: 'mail.test.body' }] },
      });
      const worker = createOutboxWorker({ db, transports: transportsFromConfig(config), pollMs: 1000, maxAttempts: 1, backoff: { baseMs: 1000, maxMs: 1000 } });
      await worker.drain();
      const sent = await findMessage(db, id);
      process.stdout.write(sent?.status === 'sent' ? `Sent to ${input.to} via ${sent.transport}\n` : `Not sent: ${sent?.lastError ?? 'unknown error'}\n`);
      if (sent?.status !== 'sent') process.exitCode = 1;
    });
  },

  /** Organisations for notifications: staff put users in them; one set to --no-notify never alerts its members. */
  async orgs(argv, config) {
    const { positionals, values } = args(argv, { 'no-notify': { type: 'boolean' } });
    const [action, org = '', value = ''] = positionals;
    const usage = 'usage: idp orgs list | create NAME [--no-notify] | add-member ORG USERNAME | remove-member ORG USERNAME | set-notify ORG on|off';
    if (!action || !['list', 'create', 'add-member', 'remove-member', 'set-notify'].includes(action)) throw new UsageError(usage);
    await withServices(config, async ({ db, users }) => {
      const out = (line: string) => process.stdout.write(`${line}\n`);
      if (action === 'list') {
        for (const o of await orgs.listOrganisations(db)) out(`${o.name}\t${o.members} member(s)\t${o.notify ? 'notifies' : 'does not notify'}`);
      } else if (action === 'create') {
        const o = await orgs.createOrganisation(db, org, !values['no-notify']);
        out(`Created organisation ${o.name} (${o.notify ? 'notifies' : 'does not notify'})`);
      } else if (action === 'set-notify') {
        if (value !== 'on' && value !== 'off') throw new UsageError(usage);
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
    });
  },

  async invitations(argv, config) {
    const { positionals: [action, a, b], values } = args(argv, { partial: { type: 'boolean' }, sheet: { type: 'string' }, locale: { type: 'string' } });
    if (action === 'import' && a) return withServices(config, async (s) => print(await staff.importInvitationsCommand(s, a, values)));
    if (action === 'rename' && a && b) return withServices(config, async (s) => print(await staff.renameInvitationCommand(s, a, b)));
    throw new UsageError('usage: idp invitations import FILE.csv [--partial] [--sheet OUT.html] [--locale nl|fr|de|en] | idp invitations rename USERNAME NEW');
  },

  async customers(argv, config) {
    const { positionals: [action, file], values } = args(argv, { partial: { type: 'boolean' } });
    if (action !== 'import' || !file) throw new UsageError('usage: idp customers import FILE.csv [--partial]');
    await withServices(config, async (s) => print(await staff.importCustomersCommand(s, file, values)));
  },

  async registrations(argv, config) {
    const { positionals: [action = '', id], values } = args(argv, { username: { type: 'string' }, reason: { type: 'string' } });
    await withServices(config, async (s) => print(await staff.registrationsCommand(s, action, id, values)));
  },

  /** Upstream OpenID providers (a bank, a government login): provider/upstream/commands.ts. */
  async upstreams(argv, config) {
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
      'trust-national-number': { type: 'boolean' },
    });
    await withServices(config, async (s) => print(await upstreamsCommand(s, action, slug, values, () => readPassword('Client secret: '))));
  },

  async config() {
    process.stdout.write(settingsTable() + '\n');
  },
};

class UsageError extends Error {}

function print(out: staff.CommandOutput): void {
  process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  if (!out.ok) process.exitCode = 1;
}

async function main(argv: string[]) {
  const [name = 'help', ...rest] = argv;
  const command = commands[name];
  if (!command) {
    process.stdout.write(`usage: idp <${Object.keys(commands).join('|')}> …\n`);
    process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
    return;
  }
  const config = loadConfig();
  await command(rest, config);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof UsageError) process.stderr.write(`${e.message}\n`);
  else if (e instanceof z.ZodError) process.stderr.write(`Invalid arguments:\n${e.issues.map((i) => `  - ${i.path.join('.') || 'input'}: ${i.message}`).join('\n')}\n`);
  else if (isAppError(e)) process.stderr.write(`${e.message} (${e.code})\n`);
  else if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`${(e as Error).message}\n`);
  else process.stderr.write(`Failed: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
