// Databases for tests: the embedded PGlite in memory, or a fresh schema of the real PostgreSQL per use, so that
// parallel test files never see each other's rows.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createDb, type Db } from '../../provider/platform/db/knex.ts';
import { migrate } from '../../provider/platform/db/migrate.ts';
import { POSTGRES_TEST_URL } from './components.ts';

export type DbKind = 'pglite' | 'postgres';

/** A PostgreSQL URL whose connections use a new, empty schema. */
export async function freshPostgresUrl(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

// A new PGlite runs initdb, about 3 s of CPU, and the suite makes over a hundred: each starts instead from a copy of
// one migrated database, made once for every test file and worker (a second) and kept under node_modules/.cache,
// named for the migrations and the PGlite that made it.
const MIGRATIONS = new URL('../../migrations/', import.meta.url);
const TEMPLATES = new URL('../../node_modules/.cache/belid-tests/', import.meta.url);

function templateName(): string {
  const h = createHash('sha256').update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
  for (const f of readdirSync(MIGRATIONS).sort()) h.update(f).update(readFileSync(new URL(f, MIGRATIONS)));
  return `pglite-${h.digest('hex').slice(0, 16)}.tar`;
}

let template: Promise<Blob> | undefined;

async function migratedTemplate(): Promise<Blob> {
  const name = templateName();
  const file = new URL(name, TEMPLATES);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const pglite = new PGlite();
  const db = createDb({ dataDir: 'memory://', pglite });
  await migrate(db);
  const blob = await pglite.dumpDataDir('none');
  await db.destroy();
  // Written aside and renamed: workers that make it at the same time each leave a whole file. The copies of earlier
  // migrations go (42 MB each).
  mkdirSync(TEMPLATES, { recursive: true });
  const aside = new URL(`${name}.${process.pid}.${randomBytes(4).toString('hex')}`, TEMPLATES);
  writeFileSync(aside, Buffer.from(await blob.arrayBuffer()));
  renameSync(aside, file);
  for (const old of readdirSync(TEMPLATES)) if (/^pglite-[0-9a-f]{16}\.tar$/.test(old) && old !== name) rmSync(new URL(old, TEMPLATES), { force: true });
  return blob;
}

export async function testDb(kind: DbKind): Promise<{ db: Db; databaseUrl: string | undefined }> {
  const databaseUrl = kind === 'postgres' ? await freshPostgresUrl() : undefined;
  const pglite = databaseUrl ? undefined : new PGlite({ loadDataDir: await (template ??= migratedTemplate()) });
  const db = createDb({ databaseUrl, dataDir: 'memory://', ...(pglite ? { pglite } : {}) });
  await migrate(db, databaseUrl);
  return { db, databaseUrl };
}
