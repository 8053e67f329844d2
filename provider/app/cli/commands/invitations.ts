// `idp invitations` and `idp customers`: the imports of school credentials and customer records.
import path from 'node:path';
import * as staff from './registrations.ts';
import { print, type CommandContext } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';

export const invitations: CommandSpec<CommandContext> = {
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
};

export const customers: CommandSpec<CommandContext> = {
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
};
