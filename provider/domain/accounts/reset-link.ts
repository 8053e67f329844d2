// The purpose under which a mailed password-reset link (the recovery flow's) is stored. It lives here, below the
// flows, because whatever ends an account's access (end-access.ts) or moves its address (email-change.ts) voids
// these links: a link mailed before must not outlive the password or the mailbox it was sent for.
export const RESET_PURPOSE = 'password_reset';
