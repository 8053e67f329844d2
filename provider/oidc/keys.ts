// Signing keys (ES256 and RS256) live in the database so that every process signs with the same keys and a
// restart keeps the same `kid`. Rotation adds new keys that sign from then on; the old ones stay published in
// the JWKS until every token they signed has expired.
import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';
import { fromJsonColumn, type Db } from '../platform/db/knex.ts';

const ALGS = ['ES256', 'RS256'] as const;

async function newKey(alg: (typeof ALGS)[number]) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, private_jwk: JSON.stringify({ ...jwk, kid, alg, use: 'sig' }) };
}

/** Creates the first keys when there are none; safe when several processes start at once. */
export async function ensureSigningKeys(db: Db): Promise<void> {
  const active = await db('signing_keys').whereNull('retired_at').select('alg');
  const missing = ALGS.filter((alg) => !active.some((k) => k.alg === alg));
  if (!missing.length) return;
  await db.transaction(async (trx) => {
    // Serialises first starts so that two processes do not both create a first key.
    await trx.raw('select pg_advisory_xact_lock(?)', [0x1d9_0002]);
    const again = await trx('signing_keys').whereNull('retired_at').select('alg');
    for (const alg of ALGS.filter((a) => !again.some((k) => k.alg === a))) await trx('signing_keys').insert(await newKey(alg));
  });
}

/** New keys sign from now on; the previous ones stay in the JWKS for `keepSeconds`. Returns the new kids. */
export async function rotateSigningKeys(db: Db, keepSeconds: number, now = new Date()): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [0x1d9_0002]);
    await trx('signing_keys')
      .whereNull('retired_at')
      .update({ retired_at: now, remove_after: new Date(now.getTime() + keepSeconds * 1000) });
    const keys = await Promise.all(ALGS.map(newKey));
    await trx('signing_keys').insert(keys);
    return keys.map((k) => k.kid);
  });
}

/** The private JWKS for oidc-provider: active keys first (they sign), then retired ones still published. */
export async function loadJwks(db: Db, now = new Date()): Promise<{ keys: JWK[] }> {
  const rows = await db('signing_keys')
    .where((q) => q.whereNull('remove_after').orWhere('remove_after', '>', now))
    .orderByRaw('retired_at is not null, created_at desc');
  return { keys: rows.map((r) => fromJsonColumn<JWK>(r.private_jwk)) };
}

export const jwksFingerprint = (jwks: { keys: JWK[] }) => jwks.keys.map((k) => k.kid).join(',');
