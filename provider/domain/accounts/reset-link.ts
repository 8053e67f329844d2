// The purpose under which a mailed password-reset link (the recovery flow's) is stored. It lives here, below the
// flows, because whatever ends an account's access (end-access.ts) or moves its address (email-change.ts) voids
// these links: a link mailed before must not outlive the password or the mailbox it was sent for.
export const RESET_PURPOSE = 'password_reset';

/**
 * The purpose of the "it was not me" link that a reactivation's mail holds (flows/reactivation/notify.ts): it locks
 * the account. Here for the same reason: a new address voids it, so that the mailbox the account left (perhaps that of
 * whoever had taken it) cannot lock the owner out afterwards.
 */
export const REACTIVATION_REPORT_PURPOSE = 'reactivation_report';
