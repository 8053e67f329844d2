// What every account page repeats: the confirmation after a redirect (?done=…), the channels whose alerts went off.
import type { Context } from 'koa';
import { ALERT_CHANNELS, type AlertSettings } from '../../domain/accounts/alerts.ts';
import type { User } from '../../domain/accounts/repository.ts';

// Confirmations shown after a redirect (?done=…): only these keys, so a link cannot put arbitrary text on the page.
const DONE = [
  'profile_saved',
  'language_saved',
  'correction_requested',
  'contact_verified',
  'contact_removed',
  'phone_verified',
  'alerts_saved',
  'password_changed',
  'session_revoked',
  'app_revoked',
  'passkey_added',
  'passkey_removed',
  'totp_removed',
] as const;

export const doneOf = (ctx: Context) => (DONE as readonly string[]).find((d) => d === ctx.query.done);

/**
 * The channels whose alerts went off with a changed address or number: each page repeats it until fixed — the crisis
 * portal's silent pitfall, made visible. `removed`: the account has no number any more (staff removed it), so the way
 * on is adding one, not turning alerts on again.
 */
export const alertNotices = (s: AlertSettings, user: Pick<User, 'phone_number'>) =>
  ALERT_CHANNELS.filter((c) => !s[c].enabled && s[c].offReason === 'contact_changed').map((channel) => ({
    channel,
    removed: channel === 'sms' && !user.phone_number,
  }));
