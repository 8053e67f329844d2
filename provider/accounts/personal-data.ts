// A person's data, to take (GDPR art. 15 and 20: everything held about them, in one JSON document) or to erase
// (art. 17: nothing of them stays, save one audit record under the account's id, which names nobody once the
// account row is gone).
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { User, UserRepository } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { listConnectedApps, listSessions } from '../oidc/account-sessions.ts';
import { organisationsOf } from './organisations.ts';
import { getAlertSettings } from './alerts.ts';
import { pendingContacts } from './pending-contacts.ts';
import { findLinkOfUser } from '../flows/eid/links.ts';
import { linksOf } from '../upstream/repository.ts';
import { endAccountAccess } from './end-access.ts';
import { audit } from '../audit.ts';
import { searchAudit } from '../platform/audit-trail.ts';

const iso = (d: Date | string | null | undefined) => (d == null ? null : new Date(d).toISOString());

export async function exportPersonalData(db: Knex, provider: Provider, user: User) {
  const [consents, eidConsents, link, upstreams, organisations, alerts, pending, apps, sessions, events] = await Promise.all([
    db('consents').where({ user_id: user.id }).orderBy('accepted_at').select('document', 'version', 'accepted_at'),
    db('eid_consents').where({ user_id: user.id }).orderBy('id').select('purpose', 'data_shared', 'consented_at'),
    findLinkOfUser(db, user.id),
    linksOf(db, user.id),
    organisationsOf(db, user.id),
    getAlertSettings(db, user.id),
    pendingContacts(db, user.id),
    listConnectedApps(db, provider, user.sub),
    listSessions(db, provider, user.sub, ''),
    searchAudit(db, { userIds: [user.id], limit: 1000 }),
  ]);
  return {
    exported_at: new Date().toISOString(),
    profile: {
      sub: user.sub,
      username: user.username,
      given_name: user.given_name,
      family_name: user.family_name,
      locale: user.locale,
      status: user.status,
      roles: user.roles,
      created_at: iso(user.created_at),
      password_changed_at: iso(user.password_changed_at),
      deletion_due_at: iso(user.deletion_due_at),
    },
    contacts: {
      email: user.email,
      email_verified: user.email_verified,
      phone_number: user.phone_number,
      phone_number_verified: user.phone_number_verified,
      pending: Object.fromEntries(Object.entries(pending).map(([channel, p]) => [channel, { value: p.value, expires_at: iso(p.expiresAt) }])),
    },
    alerts,
    consents: consents.map((c: { document: string; version: string; accepted_at: Date }) => ({ document: c.document, version: c.version, accepted_at: iso(c.accepted_at) })),
    // The card number only: the national number is held as a keyed hash, which tells nobody anything.
    eid: link ? { card_number: link.card_number, linked_at: iso(link.linked_at) } : null,
    eid_consents: eidConsents.map((c: { purpose: string; data_shared: unknown; consented_at: Date }) => ({ purpose: c.purpose, data_shared: c.data_shared, consented_at: iso(c.consented_at) })),
    connections: upstreams.map((u) => ({ provider: u.name, label: u.label, linked_at: iso(u.linked_at) })),
    organisations: organisations.map((o) => o.name),
    apps: apps.map((a) => ({ client_id: a.clientId, name: a.name, scopes: a.scopes })),
    sessions: sessions.map((s) => ({ login_at: iso(s.loginAt), expires_at: iso(s.expiresAt), apps: s.apps })),
    events: events.map((e) => ({ at: e.at.toISOString(), event: e.event, ip: e.ip, details: e.details })),
  };
}

/**
 * Erases an account in the caller's transaction: its sessions and tokens end, every row about it goes (the ones
 * the database does not cascade: mails and SMS still in the outbox or kept as sent, one-time tokens, flows, the
 * audit trail's events with their addresses), what staff imported about it is cut loose, and one pseudonymous
 * record says that it happened.
 */
export async function eraseAccount(trx: Knex, deps: { tokens: TokenService; users: UserRepository }, user: User, by: 'self' | 'staff' | 'cli'): Promise<void> {
  await endAccountAccess(trx, deps.tokens, user);
  const recipients = [user.email, user.phone_number].filter((r): r is string => Boolean(r));
  await trx('outbox')
    .where({ user_id: user.id })
    .modify((q) => {
      if (recipients.length) q.orWhereIn('recipient', recipients);
    })
    .delete();
  await trx('one_time_tokens').where({ user_id: user.id }).delete();
  await trx('self_service_flows').where({ user_id: user.id }).delete();
  await trx('audit_log').where({ user_id: user.id }).delete();
  // Staff's own records stay (a school's list, a customer file), without the account or the address it gave.
  await trx('invitations').where({ user_id: user.id }).update({ user_id: null, email: null });
  await trx('customers').where({ user_id: user.id }).update({ user_id: null });
  await deps.users.delete(trx, user.id);
  await audit(trx, 'account.deleted', { userId: user.id, details: { by } });
}
