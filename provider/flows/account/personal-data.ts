// A person's data to take (GDPR art. 15 and 20): everything held about them, in one JSON document, for
// /account/data and `idp users export`. Never a password hash nor the national number's keyed hash.
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { User } from '../../domain/accounts/repository.ts';
import { listConnectedApps, listSessions } from '../../oidc/account-sessions.ts';
import { organisationsOf } from '../../domain/accounts/organisations.ts';
import { getAlertSettings } from '../../domain/accounts/alerts.ts';
import { listAlertContacts } from '../../domain/accounts/alert-contacts.ts';
import { pendingContacts } from '../../domain/accounts/pending-contacts.ts';
import { findLinkOfUser } from '../../domain/accounts/eid-links.ts';
import { linksOf } from '../../domain/upstreams/repository.ts';
import { passkeysOf } from '../../domain/passkeys/repository.ts';
import { secondFactorsOf } from '../../domain/second-factors/store.ts';
import { auditPages, type AuditEvent } from '../../platform/audit-trail.ts';

const iso = (d: Date | string | null | undefined) => (d == null ? null : new Date(d).toISOString());

/** All of them: a person who logs in daily has more than any one page holds. */
async function eventsOf(db: Knex, userId: string): Promise<AuditEvent[]> {
  const all: AuditEvent[] = [];
  for await (const page of auditPages(db, { userIds: [userId] })) all.push(...page);
  return all;
}

export async function exportPersonalData(db: Knex, provider: Provider, user: User) {
  const [consents, eidConsents, link, upstreams, passkeys, organisations, alerts, alertContacts, pending, apps, sessions, events, secondFactors] =
    await Promise.all([
      db('consents').where({ user_id: user.id }).orderBy('accepted_at').select('document', 'version', 'accepted_at'),
      db('eid_consents').where({ user_id: user.id }).orderBy('id').select('purpose', 'data_shared', 'consented_at'),
      findLinkOfUser(db, user.id),
      linksOf(db, user.id),
      passkeysOf(db, user.id),
      organisationsOf(db, user.id),
      getAlertSettings(db, user.id),
      listAlertContacts(db, user.id),
      pendingContacts(db, user.id),
      listConnectedApps(db, provider, user.sub),
      listSessions(db, provider, user.sub, ''),
      eventsOf(db, user.id),
      secondFactorsOf(db, user.id),
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
    alerts: { ...alerts, extra_contacts: alertContacts.map((c) => ({ channel: c.channel, value: c.value, verified: c.verified, enabled: c.enabled })) },
    consents: consents.map((c: { document: string; version: string; accepted_at: Date }) => ({
      document: c.document,
      version: c.version,
      accepted_at: iso(c.accepted_at),
    })),
    // The card number only: the national number is held as a keyed hash, which tells nobody anything.
    eid: link ? { card_number: link.card_number, linked_at: iso(link.linked_at) } : null,
    eid_consents: eidConsents.map((c: { purpose: string; data_shared: unknown; consented_at: Date }) => ({
      purpose: c.purpose,
      data_shared: c.data_shared,
      consented_at: iso(c.consented_at),
    })),
    second_factors: { authenticator_app_added_at: iso(secondFactors.appAddedAt), recovery_codes_left: secondFactors.recoveryCodesLeft },
    connections: upstreams.map((u) => ({ provider: u.name, label: u.label, linked_at: iso(u.linked_at) })),
    // What the security page shows of each passkey, and the model of its authenticator; not its public key.
    passkeys: passkeys.map((p) => ({
      name: p.name,
      aaguid: p.aaguid,
      synced: p.backup_eligible,
      created_at: iso(p.created_at),
      last_used_at: iso(p.last_used_at),
    })),
    organisations: organisations.map((o) => o.name),
    apps: apps.map((a) => ({ client_id: a.clientId, name: a.name, scopes: a.scopes })),
    sessions: sessions.map((s) => ({ login_at: iso(s.loginAt), expires_at: iso(s.expiresAt), apps: s.apps })),
    events: events.map((e) => ({ at: e.at.toISOString(), event: e.event, ip: e.ip, details: e.details })),
  };
}
