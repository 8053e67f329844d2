// Tokens mailed, texted or shown to a person (activation and reset links, the 6-character activation token, SMS
// codes). Random from the CSPRNG; only an HMAC (keyed, bound to the purpose) is stored; single use; expiring;
// short codes count wrong tries and are voided after the last one. Rows outlive their expiry for a while so
// that a link can be told "expired" rather than "unknown".
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { fromJsonColumn } from '../../platform/db/knex.ts';

/** `link`: 32 random bytes, base64url (guessing is hopeless); `code`: Crockford base32 without look-alikes; `digits`. */
export type TokenFormat = { kind: 'link' } | { kind: 'code'; length: number } | { kind: 'digits'; length: number };

// Crockford base32 has no I, L, O, U: nothing a person can confuse with 1, 0 or V.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface IssueOptions {
  purpose: string;
  userId?: string | null;
  flowId?: string | null;
  ttlSeconds: number;
  format: TokenFormat;
  maxAttempts?: number;
  data?: Record<string, unknown>;
  /** Void the subject's earlier unused tokens of the same purpose (a new mail invalidates the old link). */
  replacePrevious?: boolean;
}

export interface TokenRow {
  id: string;
  purpose: string;
  user_id: string | null;
  flow_id: string | null;
  data: Record<string, unknown>;
  expires_at: Date;
}

/** `token` of a spent, expired or voided one: only `peek` gives it, for a caller that must match its data (its number). */
export type RedeemResult =
  | { status: 'ok'; token: TokenRow }
  | { status: 'invalid' }
  | { status: 'used' | 'expired' | 'voided'; token?: TokenRow }
  | { status: 'wrong'; triesLeft: number };

export function generate(format: TokenFormat): string {
  if (format.kind === 'link') return randomBytes(32).toString('base64url');
  const alphabet = format.kind === 'code' ? CROCKFORD : '0123456789';
  return Array.from({ length: format.length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** What a person types: codes are case-insensitive and forgive O/0 and I/L/1 confusions, spaces and dashes. */
export function normaliseCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

export function createTokenService(opts: { key: string; now?: () => Date }) {
  const now = opts.now ?? (() => new Date());
  const hash = (purpose: string, token: string) => createHmac('sha256', opts.key).update(`${purpose}\0${token}`).digest('base64url');
  const active = (q: Knex.QueryBuilder) => q.whereNull('consumed_at').whereNull('voided_at').where('expires_at', '>', now());
  const parse = (row: any): TokenRow => ({ ...row, data: fromJsonColumn<Record<string, unknown>>(row.data) });

  async function consume(db: Knex, row: any): Promise<RedeemResult> {
    // The conditional update makes a double click or two racing requests redeem once.
    const n = await db('one_time_tokens').where({ id: row.id }).whereNull('consumed_at').whereNull('voided_at').update({ consumed_at: now() });
    return n === 1 ? { status: 'ok', token: parse(row) } : { status: 'used' };
  }

  function state(row: any): Extract<RedeemResult, { status: 'used' | 'expired' | 'voided' }> | undefined {
    if (row.voided_at) return { status: 'voided' };
    if (row.consumed_at) return { status: 'used' };
    if (new Date(row.expires_at) <= now()) return { status: 'expired' };
    return undefined;
  }

  return {
    now,

    async issue(db: Knex, o: IssueOptions): Promise<{ token: string; id: string; expiresAt: Date }> {
      if (o.replacePrevious) await this.voidAll(db, { purpose: o.purpose, userId: o.userId, flowId: o.flowId });
      const token = generate(o.format);
      const id = randomUUID();
      const expiresAt = new Date(now().getTime() + o.ttlSeconds * 1000);
      await db('one_time_tokens').insert({
        id,
        purpose: o.purpose,
        user_id: o.userId ?? null,
        flow_id: o.flowId ?? null,
        token_hash: hash(o.purpose, token),
        max_attempts: o.maxAttempts ?? 1,
        data: JSON.stringify(o.data ?? {}),
        expires_at: expiresAt,
        created_at: now(),
      });
      return { token, id, expiresAt };
    },

    /** A link token's state without spending it (to show the form the link leads to). */
    async peek(db: Knex, purpose: string, token: string): Promise<RedeemResult> {
      const row = await db('one_time_tokens')
        .where({ purpose, token_hash: hash(purpose, token) })
        .first();
      if (!row) return { status: 'invalid' };
      const spent = state(row);
      return spent ? { ...spent, token: parse(row) } : { status: 'ok', token: parse(row) };
    },

    /** Spends a link token: found by its hash, so a tampered one is simply unknown. */
    async redeemLink(db: Knex, purpose: string, token: string): Promise<RedeemResult> {
      const row = await db('one_time_tokens')
        .where({ purpose, token_hash: hash(purpose, token) })
        .first();
      if (!row) return { status: 'invalid' };
      return state(row) ?? consume(db, row);
    },

    /**
     * Checks a short code typed by a person against the subject's newest live code of that purpose. A wrong code
     * spends a try; the last wrong try voids the code.
     */
    async redeemCode(db: Knex, subject: { purpose: string; userId?: string | null; flowId?: string | null }, typed: string): Promise<RedeemResult> {
      const q = db('one_time_tokens').where({ purpose: subject.purpose });
      if (subject.userId) q.where({ user_id: subject.userId });
      if (subject.flowId) q.where({ flow_id: subject.flowId });
      const row = await q.orderBy('created_at', 'desc').first();
      if (!row) return { status: 'invalid' };
      const s = state(row);
      if (s) return s;
      // The try is counted before the comparison, in one statement that also checks the limit: parallel guesses
      // each spend a try of their own, and none is compared once the tries are spent.
      const [counted]: { attempts: number; max_attempts: number }[] = await db('one_time_tokens')
        .where({ id: row.id })
        .whereNull('consumed_at')
        .whereNull('voided_at')
        .where('attempts', '<', db.ref('max_attempts'))
        .increment('attempts', 1)
        .returning(['attempts', 'max_attempts']);
      if (!counted) {
        const latest = await db('one_time_tokens').where({ id: row.id }).first();
        return (latest && state(latest)) ?? { status: 'voided' };
      }
      if (row.token_hash === hash(subject.purpose, normaliseCode(typed))) return consume(db, row);
      if (counted.attempts < counted.max_attempts) return { status: 'wrong', triesLeft: counted.max_attempts - counted.attempts };
      await db('one_time_tokens').where({ id: row.id }).whereNull('voided_at').update({ voided_at: now() });
      return { status: 'voided' };
    },

    async voidAll(db: Knex, subject: { purpose: string; userId?: string | null | undefined; flowId?: string | null | undefined }): Promise<number> {
      const q = db('one_time_tokens').where({ purpose: subject.purpose }).modify(active);
      if (subject.userId) q.where({ user_id: subject.userId });
      else if (subject.flowId) q.where({ flow_id: subject.flowId });
      else return 0;
      return q.update({ voided_at: now() });
    },

    /** Deletes tokens that expired more than `keepDays` ago. */
    async purge(db: Knex, keepDays = 7): Promise<number> {
      return db('one_time_tokens')
        .where('expires_at', '<', new Date(now().getTime() - keepDays * 86400_000))
        .delete();
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
