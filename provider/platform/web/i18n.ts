// Message catalogues (views/locales/<locale>/<area>.json, flat keys, merged per locale) and the choice of a request's language:
// ui_locales first, then the language cookie the user set with the switch, then Accept-Language.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LOCALES = ['nl', 'fr', 'de', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const LANGUAGE_COOKIE = 'lang';
export const LANGUAGE_CHOSEN_AT_COOKIE = 'lang_at';

const LOCALES_DIR = fileURLToPath(new URL('../../../views/locales/', import.meta.url));

/**
 * A text that follows a number: one form per plural category of the language (Intl.PluralRules: "one", "other", and
 * for some languages more), chosen by the number given to the placeholder `plural` names. English "1 more times" and
 * German "1 Versuche" came from writing the plural only; `other` stands in for a category a language's forms leave out.
 */
export type Plural = { plural: string; other: string } & Partial<Record<Exclude<Intl.LDMLPluralRule, 'other'>, string>>;
export type Message = string | Plural;
type Catalogue = Record<string, Message>;
const catalogues = new Map<Locale, Catalogue>();

export function catalogue(locale: Locale): Catalogue {
  let c = catalogues.get(locale);
  if (!c) {
    c = {};
    for (const file of readdirSync(`${LOCALES_DIR}${locale}`)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      Object.assign(c, JSON.parse(readFileSync(`${LOCALES_DIR}${locale}/${file}`, 'utf8')) as Catalogue);
    }
    catalogues.set(locale, c);
  }
  return c;
}

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);

/** A length of time as a placeholder value: written out in the reader's language, in minutes under an hour. */
export interface Duration {
  seconds: number;
}
export const duration = (seconds: number): Duration => ({ seconds });
export type MessageParams = Record<string, string | number | Duration>;

/** "30 minutes", "1 Stunde", "2 uur": whole hours in hours, anything else in minutes, so that a TTL under an hour is
 *  never "0 hours" and one is never "1 hours" (Intl knows each language's plural). */
export function formatDuration(locale: Locale, seconds: number): string {
  const [value, unit] = seconds >= 3600 && seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.max(1, Math.floor(seconds / 60)), 'minute'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

/** The time zone every date and time shown to a person is written in (TIME_ZONE), not the server's clock. */
export const DEFAULT_TIME_ZONE = 'Europe/Brussels';
let timeZone = DEFAULT_TIME_ZONE;
export const setTimeZone = (tz: string) => {
  timeZone = tz;
};
/** Whether Intl knows `tz` as an IANA time zone (Europe/Brussels, UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "7 December 2026 at 02:13", "7. Dezember 2026 um 02:13": a date and time in the reader's language and TIME_ZONE. */
export const formatDateTime = (locale: Locale, d: Date | string): string =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone }).format(new Date(d));

/** Every field of a date and time as digits, on a 24-hour clock: what the two below read apart with formatToParts. */
const WALL_CLOCK = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' } as const;

/** "2026-12-07 04:13:02 +01:00": a moment as the `idp` command prints it, in TIME_ZONE so that staff read their own
 *  time, with the offset so that the value stays unambiguous (and `idp audit --since/--until` take it back). */
export function formatTimestamp(d: Date | string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { ...WALL_CLOCK, timeZoneName: 'longOffset', timeZone }).formatToParts(new Date(d));
  const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  // "GMT+01:00"; UTC is "GMT" alone in some ICU versions.
  const offset = part.timeZoneName!.replace('GMT', '') || '+00:00';
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${offset}`;
}

// ISO 8601's date and time (2026-12-01T08:00Z, 2026-12-01T09:00:00.123+01:00), or as formatTimestamp prints it, with
// spaces for the T and before the offset. Without an offset, the time is TIME_ZONE's, the one the command prints.
const MOMENT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?: ?(?:(Z)|([+-])(\d{2}):?(\d{2})))?$/i;
// The offsets zones have: from -12:00 (Baker Island) to +14:00 (Kiribati), in minutes.
const OFFSETS = { min: -12 * 60, max: 14 * 60 };

/** Whether `t` (milliseconds, UTC) falls on `day` (YYYY-MM-DD): Date.UTC rolls 30 February over to March. */
const isOnDay = (t: number, day: string) => !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;

/** The moment whose wall clock in TIME_ZONE reads `wall` (that clock's fields as UTC, in milliseconds). */
function inTimeZone(wall: number): number {
  // The zone's offset at a moment: its wall clock read as UTC, less the moment; taken again at the first guess, for a
  // wall time on the other side of a change of offset.
  const wallClock = new Intl.DateTimeFormat('en-CA', { ...WALL_CLOCK, timeZone });
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(wallClock.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  return wall - offsetAt(wall - offsetAt(wall));
}

/** The moment `s` names (see MOMENT); undefined for a day, hour or offset that no calendar, clock or zone has. */
export function parseTimestamp(s: string): Date | undefined {
  const m = MOMENT.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec = '0', fraction = '', utc, sign, offsetH = '0', offsetM = '0'] = m;
  const offset = utc ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetH) * 60 + Number(offsetM));
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59 || Number(offsetM) > 59 || offset < OFFSETS.min || offset > OFFSETS.max) return undefined;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number(fraction.padEnd(3, '0')));
  if (!isOnDay(wall, `${y}-${mo}-${d}`)) return undefined;
  return new Date(utc || sign ? wall - offset * 60_000 : inTimeZone(wall));
}

/**
 * The first moment of `day` (YYYY-MM-DD) in TIME_ZONE, as the times printed there count it; undefined for a day the
 * calendar does not have (2026-02-30).
 */
export function startOfDayIn(day: string): Date | undefined {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnight = Date.UTC(y, m - 1, d);
  return isOnDay(midnight, day) ? new Date(inTimeZone(midnight)) : undefined;
}

/** The day (YYYY-MM-DD) `d` falls on in TIME_ZONE. */
export const dayIn = (d: Date): string => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(d);

export const PLURAL_CATEGORIES: readonly Intl.LDMLPluralRule[] = ['zero', 'one', 'two', 'few', 'many', 'other'];

/** Every text a message can show: the message itself, or each of its plural forms. */
export const messageTexts = (m: Message): string[] => (typeof m === 'string' ? [m] : PLURAL_CATEGORIES.flatMap((c) => m[c] ?? []));

const pluralRules = new Map<Locale, Intl.PluralRules>();
function pluralForm(locale: Locale, m: Plural, value: MessageParams[string] | undefined): string {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  const n = typeof value === 'number' ? value : Number(value);
  return (Number.isFinite(n) ? m[rules.select(n)] : undefined) ?? m.other;
}

export const isDuration = (v: unknown): v is Duration => typeof v === 'object' && v !== null && typeof (v as Duration).seconds === 'number';

/** Translates `key`, in the plural form its count asks for, replacing {name} placeholders; a missing key shows itself, and a test catches it. */
export function translate(locale: Locale, key: string, params: MessageParams = {}): string {
  const message = catalogue(locale)[key] ?? catalogue('en')[key] ?? key;
  const text = typeof message === 'string' ? message : pluralForm(locale, message, params[message.plural]);
  return text.replace(/\{(\w+)\}/g, (m, name: string) => {
    if (!(name in params)) return m;
    const value = params[name]!;
    return isDuration(value) ? formatDuration(locale, value.seconds) : String(value);
  });
}

/** The first supported language of a space-separated `ui_locales` or an Accept-Language header. */
export function pickLocale(...candidates: (string | undefined | null)[]): Locale | undefined {
  for (const c of candidates) {
    if (!c) continue;
    const tags = c
      .split(/[\s,]+/)
      .map((part) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = params.find((p) => p.trim().startsWith('q='));
        return { lang: tag.toLowerCase().split('-')[0], q: q ? Number(q.trim().slice(2)) : 1 };
      })
      .filter((t) => t.lang && t.q > 0)
      .sort((a, b) => b.q - a.q);
    for (const { lang } of tags) if (isLocale(lang)) return lang;
  }
  return undefined;
}
