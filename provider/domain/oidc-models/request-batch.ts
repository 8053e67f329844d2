// One protocol request's work on oidc_models, in as few round trips as its order allows. oidc-provider finds and
// saves its models one at a time: a code exchange reads the code, then its session, then its grant, and writes the
// consumed code and the new tokens one after another. Within a request (never across requests: a token revoked
// elsewhere must fail at its next use), a token's read brings its grant (and a code's session) in the same statement,
// what was read is not read again, and the writes wait for the end of the request to leave as one statement, before
// the answer does. A consumed token or code is consumed in that statement only if no other request consumed it first,
// and the statement's other writes depend on it: of two requests racing with the same code, one gets the tokens, and
// the other then revokes the grant as a replay would (oidc/batch-requests.ts). So do two more claims: an interaction's
// deletion (a resume) must find the interaction, which what ends an account's access deletes, and a login's result is
// saved only while the account's access generation is the one its password (or other proof) was checked against.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AdapterPayload } from 'oidc-provider';
import { fromJsonColumn, rowsOf, type Db } from '../../platform/db/knex.ts';
import { asCtes, collectingLater, writeNow, type LaterWrite } from '../../platform/db/later.ts';

/** The models whose writes may wait for the end of a protocol request; the others (clients, replay detection) do not. */
export const BATCHED_MODELS = new Set(['Session', 'Grant', 'Interaction', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials']);

/** The grant (and, for a code, the session) a token's read brings along. */
const PREFETCH: Record<string, { session: boolean }> = {
  AuthorizationCode: { session: true },
  AccessToken: { session: false },
  RefreshToken: { session: false },
};

export interface RowValues {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: Date | null;
}

/** An account's access generation a write holds to: written only while the account still has it. */
export interface AccessHeld {
  sub: string;
  generation: number;
}

export type Write =
  | { kind: 'upsert'; row: RowValues; held?: AccessHeld }
  | { kind: 'delete'; model: string; id: string }
  | { kind: 'consume'; model: string; id: string; at: Date };

interface Batch {
  db: Db;
  /**
   * What this request read or wrote, by model and id: a payload; the JSON text of one it wrote, parsed only if read
   * back (most never are); null: known absent.
   */
  known: Map<string, AdapterPayload | string | null>;
  /** Session and Interaction ids by model and uid. */
  uids: Map<string, string>;
  writes: Write[];
  /** The request's bookkeeping (platform/db/later.ts), written with its writes. */
  later: LaterWrite[];
  /**
   * A claim of this request was not granted (a token or code consumed by another request first, an interaction
   * deleted meanwhile, an account's access moved on): none of its writes were made.
   */
  lost: boolean;
}

const current = new AsyncLocalStorage<Batch>();
const key = (model: string, id: string) => `${model}\u0000${id}`;
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

/** The batch of `db`'s request in progress, if any. */
export function batchOf(db: Db, model: string): Batch | undefined {
  const batch = current.getStore();
  return batch?.db === db && BATCHED_MODELS.has(model) ? batch : undefined;
}

/**
 * Runs one protocol request (`next`) in a batch, then makes its writes. Resolves to false when a token or code it
 * consumed had been consumed by a concurrent request: nothing of this request was written, its answer must not go.
 */
export async function inBatch(db: Db, next: () => Promise<unknown>): Promise<boolean> {
  const batch: Batch = { db, known: new Map(), uids: new Map(), writes: [], later: [], lost: false };
  try {
    await collectingLater(db, batch.later, () => current.run(batch, next));
  } finally {
    // What a failing request wrote before it failed is written, as it was when every write went at once.
    await flush(batch);
  }
  return !batch.lost;
}

/** What the request already knows of a row: a payload, null (absent), or undefined (ask the database). */
export function known(batch: Batch, model: string, by: { id: string } | { uid: string }): AdapterPayload | null | undefined {
  const id = 'id' in by ? by.id : batch.uids.get(key(model, by.uid));
  if (id === undefined) return undefined;
  const payload = batch.known.get(key(model, id));
  return typeof payload === 'string' ? (JSON.parse(payload) as AdapterPayload) : payload && structuredClone(payload);
}

/** `payload` becomes the batch's own: the caller hands over an object nobody else holds. */
function remember(batch: Batch, model: string, id: string, payload: AdapterPayload | string | null, uid: string | null | undefined) {
  batch.known.set(key(model, id), payload);
  if (uid) batch.uids.set(key(model, uid), id);
}

export function defer(batch: Batch, write: Write) {
  batch.writes.push(write);
  if (write.kind === 'upsert') remember(batch, write.row.model, write.row.id, write.row.payload, write.row.uid);
  else if (write.kind === 'delete') remember(batch, write.model, write.id, null, undefined);
  else {
    const k = key(write.model, write.id);
    const payload = batch.known.get(k);
    if (!payload) return;
    const consumed = typeof payload === 'string' ? (JSON.parse(payload) as AdapterPayload) : payload;
    consumed.consumed = epoch(write.at);
    batch.known.set(k, consumed);
  }
}

interface FoundRow {
  model: string;
  id: string;
  uid: string | null;
  /** Read as text: the request keeps it so, and parses it only where it is read. */
  payload: string;
  consumed_at: Date | string | null;
}

const payloadOf = (row: FoundRow): AdapterPayload => {
  const payload = fromJsonColumn<AdapterPayload>(row.payload);
  return row.consumed_at ? { ...payload, consumed: epoch(new Date(row.consumed_at)) } : payload;
};

/** What the request keeps of a row it read: its text, unless a consumption must be added to the payload. */
const keptOf = (row: FoundRow): AdapterPayload | string => (row.consumed_at ? payloadOf(row) : row.payload);

/** Finds a row by id or uid, with what a token brings along when the request is batched. */
export async function findRow(
  db: Db,
  batch: Batch | undefined,
  model: string,
  where: { id: string } | { uid: string } | { user_code: string },
  now: Date,
): Promise<AdapterPayload | undefined> {
  const live = (t: string) => `(${t}.expires_at is null or ${t}.expires_at > ?)`;
  const [[column, value]] = Object.entries(where) as [['id' | 'uid' | 'user_code', string]];
  const columns = (t: string) => `${t}.model, ${t}.id, ${t}.uid, ${t}.payload::text as payload, ${t}.consumed_at`;
  let sql = `select ${columns('t')} from oidc_models t where t.model = ? and t.${column} = ? and ${live('t')}`;
  const bindings: unknown[] = [model, value, now];
  const brings = batch && column === 'id' ? PREFETCH[model] : undefined;
  if (brings) {
    sql += ` union all select ${columns('g')} from oidc_models t join oidc_models g on g.model = 'Grant' and g.id = t.grant_id where t.model = ? and t.id = ? and ${live('g')}`;
    bindings.push(model, value, now);
    if (brings.session) {
      sql += ` union all select ${columns('s')} from oidc_models t join oidc_models s on s.model = 'Session' and s.uid = t.payload->>'sessionUid' where t.model = ? and t.id = ? and ${live('s')}`;
      bindings.push(model, value, now);
    }
  } else sql += ' limit 1';
  const rows = await rowsOf<FoundRow>(db, sql, bindings);
  const own = rows.find((r) => r.model === model);
  const found = own && payloadOf(own);
  if (batch) {
    for (const r of rows) remember(batch, r.model, r.id, keptOf(r), r.uid);
    if (!own && column === 'id') remember(batch, model, value, null, undefined);
  }
  return found;
}

const UPSERT_COLUMNS = ['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'account_id', 'expires_at'] as const;
const UPSERT = `insert into oidc_models (${UPSERT_COLUMNS.join(', ')}) select ?, ?, ?::jsonb, ?, ?, ?, ?, ?::timestamptz`;
const MERGE = `on conflict (model, id) do update set ${UPSERT_COLUMNS.filter((c) => c !== 'model' && c !== 'id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;

/** A write that only takes effect if its row is as the request saw it; the request's other writes depend on it. */
const isClaim = (w: Write) => w.kind === 'consume' || (w.kind === 'delete' && w.model === 'Interaction') || (w.kind === 'upsert' && w.held !== undefined);

/**
 * The request's writes in one statement: each claim a CTE that returns a row when it took effect, made only if the
 * claims before it did, and every other write made only if all of them did. A row written twice in one request
 * (rare) takes the writes one by one. The bookkeeping rides along, except with a consumption: it is then made after
 * it, and only if the request won it (a token's use is counted once). With the other claims it rides along: what a
 * login lost to a new password leaves (its device, its throttle's counts let go) records a proof that was right when
 * it was made; but a `claimed` write (its login.success) is made only if the claims are, in the same statement.
 */
async function flush(batch: Batch): Promise<void> {
  const writes = batch.writes.splice(0);
  const later = batch.later.splice(0);
  const keys = writes.map((w) => (w.kind === 'upsert' ? key(w.row.model, w.row.id) : key(w.model, w.id)));
  if (new Set(keys).size !== keys.length) for (const w of writes) await one(batch, [w], []);
  else if (writes.some((w) => w.kind === 'consume')) await one(batch, writes, []);
  else return one(batch, writes, later);
  if (!batch.lost) await writeNow(batch.db, later);
}

async function one(batch: Batch, writes: Write[], later: LaterWrite[]): Promise<void> {
  if (!writes.length && !later.length) return;
  const ctes: string[] = [];
  const bindings: unknown[] = [];
  const claims: string[] = [];
  const claimed = () => claims.map((c) => `(select count(*) from ${c})`).join(' + ') || '0';
  const granted = () => (claims.length ? `${claimed()} = ${claims.length}` : '');
  const where = (...conditions: string[]) => {
    const all = conditions.filter(Boolean);
    return all.length ? ` where ${all.join(' and ')}` : '';
  };
  // A held generation is read under a share lock: what ends the account's access (an update of the row) waits for
  // this statement, and then deletes what it wrote, or this statement waits for it, and finds the generation moved.
  const heldBy = (held: AccessHeld) => {
    bindings.push(held.sub, held.generation);
    return 'exists (select 1 from users where sub = ? and access_generation = ? for share)';
  };
  for (const w of [...writes.filter(isClaim), ...writes.filter((w) => !isClaim(w))]) {
    const name = `w${ctes.length}`;
    const before = granted();
    if (w.kind === 'consume') {
      ctes.push(
        `${name} as (update oidc_models set consumed_at = ? where model = ? and id = ? and consumed_at is null${before ? ` and ${before}` : ''} returning 1)`,
      );
      bindings.push(w.at, w.model, w.id);
    } else if (w.kind === 'delete') {
      ctes.push(`${name} as (delete from oidc_models where model = ? and id = ?${before ? ` and ${before}` : ''}${isClaim(w) ? ' returning 1' : ''})`);
      bindings.push(w.model, w.id);
    } else {
      bindings.push(...UPSERT_COLUMNS.map((c) => w.row[c]));
      ctes.push(`${name} as (${UPSERT}${where(before, w.held ? heldBy(w.held) : '')} ${MERGE}${w.held ? ' returning 1' : ''})`);
    }
    if (isClaim(w)) claims.push(name);
  }
  const extra = asCtes(later, 'x', granted());
  ctes.push(...extra.ctes);
  bindings.push(...extra.bindings);
  const [result] = await rowsOf<{ claimed: string | number }>(batch.db, `with ${ctes.join(', ')} select ${claimed()} as claimed`, bindings);
  if (Number(result!.claimed) !== claims.length) batch.lost = true;
  for (const w of later) if (!(w.claimed && batch.lost)) w.written?.();
}

/** Writes made at once, outside any request's batch, as a batch would make them: each claim taken, or none of them. */
export async function writeAlone(db: Db, writes: Write[]): Promise<void> {
  await one({ db, known: new Map(), uids: new Map(), writes: [], later: [], lost: false }, writes, []);
}

/** Makes the writes waiting in the request's batch now: what follows them must find them made. */
export const flushNow = (batch: Batch) => flush(batch);

/** After a write outside the batch (a grant revoked), what the request remembers may be wrong. */
export function forget(batch: Batch) {
  batch.known.clear();
  batch.uids.clear();
}
