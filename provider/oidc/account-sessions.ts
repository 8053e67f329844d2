// What a user sees and ends on their "sessions and apps" page, read from the rows oidc-provider keeps through the
// adapter: login sessions (model Session) and the apps they allowed (model Grant). A session is named by its uid
// (the sid of ID tokens), never by its id, which is the session cookie's value. Revoking goes through the
// adapter, so tokens die with their grant on every process.
import type Provider from 'oidc-provider';
import { fromJsonColumn, type Db } from '../platform/db/knex.ts';
import { createAdapterFactory, enqueueLogoutTokens } from '../domain/oidc-models/adapter.ts';
import { SELF_CLIENT_ID } from './self-client.ts';
import { sessionDevices, type SessionDevice } from './session-devices.ts';
import { networkOf, parseUserAgent, type Device } from '../platform/web/user-agent.ts';
import { placeOf } from '../platform/web/geoip.ts';
import type { Locale } from '../platform/web/i18n.ts';

export interface AccountSession {
  uid: string;
  loginAt: Date;
  expiresAt: Date | null;
  /** Names of the apps used in this session, the account pages excepted. */
  apps: string[];
  current: boolean;
  /** Where the session was last used, when it signed in to an app since it was recorded; `place` only with GEOIP_DB. */
  device?: Device & { network: string; place?: string | undefined; lastSeenAt: Date };
}

export interface ConnectedApp {
  clientId: string;
  name: string;
  scopes: string[];
}

type Row = { id: string; uid: string | null; payload: unknown; expires_at: string | Date | null };
const payloadOf = (r: Row) => fromJsonColumn<Record<string, any>>(r.payload);

const live = (db: Db, model: string, accountId: string) =>
  db('oidc_models')
    .where({ model, account_id: accountId })
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()));

async function clientNames(provider: Provider, ids: Iterable<string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(ids)) {
    const c = await provider.Client.find(id);
    names.set(id, c?.clientName ?? id);
  }
  return names;
}

const deviceOf = (d: SessionDevice | undefined, locale: Locale | undefined): AccountSession['device'] =>
  d && { ...parseUserAgent(d.userAgent), network: networkOf(d.ip), place: locale && placeOf(d.ip, locale), lastSeenAt: d.lastSeenAt };

/** `locale`: the person's own list, with the place of each session in their language (GEOIP_DB). */
export async function listSessions(db: Db, provider: Provider, accountId: string, currentUid: string, locale?: Locale): Promise<AccountSession[]> {
  const rows: Row[] = await live(db, 'Session', accountId).select('id', 'uid', 'payload', 'expires_at');
  const sessions = rows.map((r) => ({ uid: r.uid!, p: payloadOf(r), expiresAt: r.expires_at ? new Date(r.expires_at) : null }));
  const [names, devices] = await Promise.all([
    clientNames(
      provider,
      sessions.flatMap((s) => Object.keys(s.p.authorizations ?? {})),
    ),
    sessionDevices(db, accountId),
  ]);
  return sessions
    .map(({ uid, p, expiresAt }) => {
      const clients = Object.keys(p.authorizations ?? {});
      return {
        uid,
        loginAt: new Date(Number(p.loginTs ?? p.iat) * 1000),
        expiresAt,
        apps: clients.filter((id) => id !== SELF_CLIENT_ID).map((id) => names.get(id) ?? id),
        current: uid === currentUid,
        device: deviceOf(devices.get(uid), locale),
      };
    })
    .sort((a, b) => b.loginAt.getTime() - a.loginAt.getTime());
}

/** The apps holding a grant of the account: the provider's own account pages are not listed (not an app to disconnect). */
export async function listConnectedApps(db: Db, provider: Provider, accountId: string): Promise<ConnectedApp[]> {
  const rows: Row[] = await live(db, 'Grant', accountId).select('id', 'uid', 'payload', 'expires_at');
  const byClient = new Map<string, Set<string>>();
  for (const r of rows) {
    const p = payloadOf(r);
    if (p.clientId === SELF_CLIENT_ID) continue;
    const scopes = byClient.get(p.clientId) ?? new Set<string>();
    for (const s of String(p.openid?.scope ?? '')
      .split(' ')
      .filter(Boolean))
      scopes.add(s);
    byClient.set(p.clientId, scopes);
  }
  const names = await clientNames(provider, byClient.keys());
  return [...byClient]
    .map(([clientId, scopes]) => ({ clientId, name: names.get(clientId)!, scopes: [...scopes] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function revokeGrants(db: Db, grantIds: string[]): Promise<void> {
  const Adapter = createAdapterFactory(db);
  const grants = new Adapter('Grant');
  for (const id of grantIds) {
    await grants.revokeByGrantId(id);
    await grants.destroy(id);
  }
}

/** Ends one login session of the account and the grants made in it, and tells its apps. False when no such session. */
export async function revokeSession(db: Db, accountId: string, uid: string): Promise<boolean> {
  // One transaction: the apps' logout tokens are queued only if the session does end.
  return db.transaction(async (trx) => {
    const row: Row | undefined = await trx('oidc_models').where({ model: 'Session', account_id: accountId, uid }).first('id', 'uid', 'payload', 'expires_at');
    if (!row) return false;
    await enqueueLogoutTokens(trx, [row]);
    const authorizations = (payloadOf(row).authorizations ?? {}) as Record<string, { grantId?: string }>;
    await revokeGrants(
      trx,
      Object.values(authorizations)
        .map((a) => a.grantId)
        .filter((g): g is string => Boolean(g)),
    );
    await new (createAdapterFactory(trx))('Session').destroy(row.id);
    return true;
  });
}

/** Disconnects an app: every grant the account gave it, with their tokens. False when it held none. */
export async function revokeApp(db: Db, accountId: string, clientId: string): Promise<boolean> {
  if (clientId === SELF_CLIENT_ID) return false;
  const rows: Row[] = await db('oidc_models').where({ model: 'Grant', account_id: accountId }).select('id', 'uid', 'payload', 'expires_at');
  const ids = rows.filter((r) => payloadOf(r).clientId === clientId).map((r) => r.id);
  await revokeGrants(db, ids);
  return ids.length > 0;
}
