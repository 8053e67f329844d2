// The provider's own Prometheus series, on prom-client's global registry: one set per process, which the cluster's
// primary adds up across workers. Security events already pass through `audit()`, so the counters of logins,
// registrations, recoveries and reactivations are derived there, from the event names, and cannot drift from the
// audit trail.
import { Counter, Histogram } from 'prom-client';

export const logins = new Counter({
  name: 'belid_logins_total',
  help: 'Logins by method (password, mfa, eid, passkey, upstream) and result (success, failure, refused, throttled)',
  labelNames: ['method', 'result'] as const,
});

export const registrations = new Counter({
  name: 'belid_registrations_total',
  help: 'Sign-ups by registration mode and result (signed_up, activated, approved, rejected)',
  labelNames: ['mode', 'result'] as const,
});

export const recoveries = new Counter({
  name: 'belid_recoveries_total',
  help: 'Account recoveries by result (requested, password_reset)',
  labelNames: ['result'] as const,
});

export const reactivations = new Counter({
  name: 'belid_reactivations_total',
  help: 'Reactivations of blocked accounts by path (eid, upstream) and result (verified, refused, completed, reported)',
  labelNames: ['path', 'result'] as const,
});

export const tokensIssued = new Counter({
  name: 'belid_tokens_issued_total',
  help: 'Successful token endpoint answers by grant type',
  labelNames: ['grant'] as const,
});

export const clientAuthFailures = new Counter({
  name: 'belid_client_auth_failures_total',
  help: 'Failed client authentications by endpoint (token, introspection, revocation, pushed_authorization_request) and client (registered, unknown)',
  labelNames: ['endpoint', 'client'] as const,
});

export const outboxFailed = new Counter({
  name: 'belid_outbox_failed_total',
  help: 'Mails, SMS and logout tokens given up after their last delivery attempt, by channel',
  labelNames: ['channel'] as const,
});

export const httpDuration = new Histogram({
  name: 'belid_http_request_duration_seconds',
  help: "Time to answer a request, by the router's route pattern (never the raw path), method and status",
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

type Details = Record<string, unknown> | undefined;
const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);

/** Event name → the series it counts in. Events not named here (contact changes, staff actions) are audit only. */
const byEvent: Record<string, (d: Details) => void> = {
  'login.success': (d) => logins.inc({ method: text(d?.method, 'password'), result: 'success' }),
  'login.failure': (d) => logins.inc({ method: text(d?.method, 'password'), result: 'failure' }),
  'login.refused': (d) => logins.inc({ method: text(d?.method, 'password'), result: 'refused' }),
  'login.throttled': (d) => logins.inc({ method: text(d?.method, 'password'), result: 'throttled' }),
  'registration.signed_up': (d) => registrations.inc({ mode: text(d?.mode, 'open'), result: 'signed_up' }),
  'registration.activated': (d) => registrations.inc({ mode: text(d?.mode, 'open'), result: 'activated' }),
  'registration.approved': (d) => registrations.inc({ mode: text(d?.mode, 'invitation'), result: 'approved' }),
  'registration.rejected': (d) => registrations.inc({ mode: text(d?.mode, 'invitation'), result: 'rejected' }),
  'recovery.requested': () => recoveries.inc({ result: 'requested' }),
  'recovery.password_reset': () => recoveries.inc({ result: 'password_reset' }),
  'reactivation.card_verified': () => reactivations.inc({ path: 'eid', result: 'verified' }),
  'reactivation.upstream_verified': () => reactivations.inc({ path: 'upstream', result: 'verified' }),
  'reactivation.card_refused': () => reactivations.inc({ path: 'eid', result: 'refused' }),
  'reactivation.upstream_refused': () => reactivations.inc({ path: 'upstream', result: 'refused' }),
  'reactivation.refused_locked': () => reactivations.inc({ path: 'any', result: 'refused' }),
  'reactivation.completed': (d) => reactivations.inc({ path: text(d?.path, 'eid'), result: 'completed' }),
  // The report link in the mail follows either path, and the mail does not say which.
  'reactivation.reported': () => reactivations.inc({ path: 'any', result: 'reported' }),
};

export function countSecurityEvent(event: string, details: Details): void {
  byEvent[event]?.(details);
}
