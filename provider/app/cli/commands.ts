// The `idp` commands that work on the database, one module per group under commands/. Each validates its arguments
// with one schema and answers with a message naming what to fix; nothing is changed when an argument is wrong. They
// run in the `idp` process, or, while a provider serves the embedded database, inside that provider (admin-socket.ts).
import type { CommandContext } from './context.ts';
import type { CommandSpec } from './spec.ts';
import { migrate } from './commands/migrate.ts';
import { users } from './commands/users.ts';
import { clients } from './commands/clients.ts';
import { keys } from './commands/keys.ts';
import { mail } from './commands/mail.ts';
import { orgs } from './commands/orgs.ts';
import { customers, invitations } from './commands/invitations.ts';
import { registrations } from './commands/registrations.ts';
import { upstreams } from './commands/upstreams.ts';
import { audit } from './commands/audit.ts';

export type { CommandContext };

export const commands: Record<string, CommandSpec<CommandContext>> = {
  migrate,
  users,
  clients,
  keys,
  mail,
  orgs,
  invitations,
  customers,
  registrations,
  audit,
  upstreams,
};
