// The browser, address and last use of each login session, recorded each time the session signs the person in to an
// app (oidc-provider's authorization.success), and read by the account's session list.
import type Provider from 'oidc-provider';
import type { Db } from '../platform/db/knex.ts';
import { log, requestAddress } from '../platform/log.ts';
import { statementOf, writeLater } from '../platform/db/later.ts';

export interface SessionDevice {
  userAgent: string;
  ip: string;
  lastSeenAt: Date;
}

/** A User-Agent is the client's to choose: kept short enough that no one fills the table with it. */
const MAX_USER_AGENT = 512;

export function recordSessionDevices(provider: Provider, db: Db): void {
  provider.on('authorization.success', (ctx) => {
    const session = ctx.oidc.session;
    if (!session?.accountId || !session.uid) return;
    const row = {
      session_uid: session.uid,
      account_id: session.accountId,
      user_agent: ctx.get('user-agent').slice(0, MAX_USER_AGENT),
      // Ours, checked to be an address (platform/web/client-address.ts); oidc-provider's reads the header anew.
      ip: requestAddress() ?? ctx.ip,
      last_seen_at: new Date(),
    };
    // Written with the request's own writes, in their statement (it can only fail where they would); the answer
    // never waits for it on its own.
    void writeLater(db, statementOf(db('session_devices').insert(row).onConflict('session_uid').merge())).catch((e: unknown) =>
      log.warn('session device not recorded', { error: (e as Error).message }),
    );
  });
}

export async function sessionDevices(db: Db, accountId: string): Promise<Map<string, SessionDevice>> {
  const rows: { session_uid: string; user_agent: string; ip: string; last_seen_at: string | Date }[] = await db('session_devices')
    .where({ account_id: accountId })
    .select('session_uid', 'user_agent', 'ip', 'last_seen_at');
  return new Map(rows.map((r) => [r.session_uid, { userAgent: r.user_agent, ip: r.ip, lastSeenAt: new Date(r.last_seen_at) }]));
}

/** Deletes the rows of sessions that ended (expired, logged out, revoked). */
export async function purgeSessionDevices(db: Db): Promise<number> {
  const live = db('oidc_models').where({ model: 'Session' }).whereNotNull('uid').select('uid');
  return db('session_devices').whereNotIn('session_uid', live).delete();
}
