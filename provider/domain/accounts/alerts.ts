// Which of a user's verified channels receive alerts from relying apps. A changed address or number turns its
// channel off until the user turns it on again (the crisis portal's rule), and the reason is kept so the pages
// can say so: "Alerts by SMS are off since you changed your number: turn them on again".
import type { Knex } from 'knex';

export type AlertChannel = 'email' | 'sms';
export const ALERT_CHANNELS: readonly AlertChannel[] = ['email', 'sms'];

/** Why a channel is off when the user did not turn it off. */
export type OffReason = 'contact_changed';

export interface ChannelSetting {
  enabled: boolean;
  offReason: OffReason | null;
}

export type AlertSettings = Record<AlertChannel, ChannelSetting>;

// Without a row: a verified address receives alerts (it was given for that), a number only once the user says so.
const DEFAULTS: AlertSettings = {
  email: { enabled: true, offReason: null },
  sms: { enabled: false, offReason: null },
};

function fromRow(row: Record<string, unknown> | undefined): AlertSettings {
  if (!row) return structuredClone(DEFAULTS);
  return {
    email: { enabled: Boolean(row.email_enabled), offReason: (row.email_off_reason as OffReason | null) ?? null },
    sms: { enabled: Boolean(row.sms_enabled), offReason: (row.sms_off_reason as OffReason | null) ?? null },
  };
}

async function save(db: Knex, userId: string, s: AlertSettings): Promise<void> {
  const row = {
    user_id: userId,
    email_enabled: s.email.enabled,
    sms_enabled: s.sms.enabled,
    email_off_reason: s.email.offReason,
    sms_off_reason: s.sms.offReason,
    updated_at: new Date(),
  };
  await db('alert_settings').insert(row).onConflict('user_id').merge();
}

export async function getAlertSettings(db: Knex, userId: string): Promise<AlertSettings> {
  return fromRow(await db('alert_settings').where({ user_id: userId }).first());
}

/** Settings of many users at once (a notification's fan-out). */
export async function alertSettingsOf(db: Knex, userIds: string[]): Promise<Map<string, AlertSettings>> {
  const rows: Record<string, unknown>[] = userIds.length ? await db('alert_settings').whereIn('user_id', userIds) : [];
  const found = new Map(rows.map((r) => [r.user_id as string, fromRow(r)]));
  return new Map(userIds.map((id) => [id, found.get(id) ?? fromRow(undefined)]));
}

/** The user's own choice; it clears any "turned off because…" note on the channel. */
export async function setAlertChannels(db: Knex, userId: string, enabled: Record<AlertChannel, boolean>): Promise<AlertSettings> {
  const current = await getAlertSettings(db, userId);
  const next: AlertSettings = {
    email: enabled.email === current.email.enabled ? current.email : { enabled: enabled.email, offReason: null },
    sms: enabled.sms === current.sms.enabled ? current.sms : { enabled: enabled.sms, offReason: null },
  };
  await save(db, userId, next);
  return next;
}

/** A new verified address or number: its channel stays silent until the user turns it on again. */
export async function turnOffAfterContactChange(trx: Knex, userId: string, channel: AlertChannel): Promise<void> {
  const current = await getAlertSettings(trx, userId);
  await save(trx, userId, { ...current, [channel]: { enabled: false, offReason: 'contact_changed' } });
}

/**
 * A first verified address or number, where the account had none (or none since staff removed it): nothing changed, so
 * no "turned off because…" note, not even the one the removal left; its channel starts off, as without settings, until
 * the user turns it on.
 */
export async function keepOffForFirstContact(trx: Knex, userId: string, channel: AlertChannel): Promise<void> {
  const current = await getAlertSettings(trx, userId);
  if (current[channel].enabled || current[channel].offReason) await save(trx, userId, { ...current, [channel]: { enabled: false, offReason: null } });
}
