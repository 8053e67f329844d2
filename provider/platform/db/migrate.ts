// Applies the knex migrations under migrations/ (files sorted by name). On PostgreSQL an advisory lock
// on a dedicated connection serialises concurrent starts, so N processes can start at once; PGlite is
// single-process by nature.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import type { Knex } from 'knex';
import type { Db } from './knex.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const LOCK_KEY = 0x1d9_0001;

interface Migration {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

class FolderSource implements Knex.MigrationSource<string> {
  // The sources are .ts, the installed package's compiled files .js (beside their .d.ts).
  async getMigrations(): Promise<string[]> {
    return (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_[\w-]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  }
  // Databases record the name with .ts (the sources ran first), so a compiled file keeps that name: otherwise knex
  // would find the applied migrations missing and refuse to start.
  getMigrationName(file: string): string {
    return file.replace(/\.js$/, '.ts');
  }
  async getMigration(file: string): Promise<Migration> {
    return (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration;
  }
}

export async function migrate(db: Db, databaseUrl?: string): Promise<string[]> {
  const run = async () => {
    const [, applied] = (await db.migrate.latest({ migrationSource: new FolderSource() })) as [number, string[]];
    return applied;
  };
  if (!databaseUrl) return run();
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    return await run();
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await lock.end();
  }
}

/** Migrations under migrations/ that this database has not applied: a process serving on it would miss columns. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list({ migrationSource: new FolderSource() })) as [unknown[], { file: string }[]];
  return pending.map((m) => m.file);
}
