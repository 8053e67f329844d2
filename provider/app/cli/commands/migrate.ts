// `idp migrate`: the migrations `idp start` also applies.
import { migrate as applyMigrations } from '../../../platform/db/migrate.ts';
import type { CommandContext } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';

export const migrate: CommandSpec<CommandContext> = {
  summary: 'applies the migrations under migrations/ (idp start does it too)',
  action: action({
    summary: 'Applies the database migrations that have not run yet.',
    async run(_input, { config, io, db }: CommandContext) {
      const applied = await applyMigrations(await db(), config.databaseUrl);
      io.out(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date\n');
    },
  }),
};
