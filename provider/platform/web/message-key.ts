// The keys of the English catalogue as a type, so that an AppError cannot name a message that does not exist.
// One line per file of views/locales/en (test/platform/web/catalogues.test.ts checks that none is left out, and
// that the other languages have exactly these keys).
export type MessageKey =
  | keyof typeof import('../../../views/locales/en/account.json')
  | keyof typeof import('../../../views/locales/en/admin.json')
  | keyof typeof import('../../../views/locales/en/admin-person.json')
  | keyof typeof import('../../../views/locales/en/audit.json')
  | keyof typeof import('../../../views/locales/en/captcha.json')
  | keyof typeof import('../../../views/locales/en/core.json')
  | keyof typeof import('../../../views/locales/en/eid.json')
  | keyof typeof import('../../../views/locales/en/helpdesk.json')
  | keyof typeof import('../../../views/locales/en/mail.json')
  | keyof typeof import('../../../views/locales/en/notifications.json')
  | keyof typeof import('../../../views/locales/en/organisations.json')
  | keyof typeof import('../../../views/locales/en/passkeys.json')
  | keyof typeof import('../../../views/locales/en/password.json')
  | keyof typeof import('../../../views/locales/en/personal-data.json')
  | keyof typeof import('../../../views/locales/en/reactivation.json')
  | keyof typeof import('../../../views/locales/en/recovery.json')
  | keyof typeof import('../../../views/locales/en/registration.json')
  | keyof typeof import('../../../views/locales/en/second-factor.json')
  | keyof typeof import('../../../views/locales/en/throttle.json')
  | keyof typeof import('../../../views/locales/en/upstream.json');
