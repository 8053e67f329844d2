// The approximate place of an address (GEOIP_DB, a MaxMind DB file such as GeoLite2-City.mmdb), shown to a person
// beside each of their sessions. Read once at start, looked up in memory: nothing is fetched at run time. A place is
// personal data: it is shown to the person, never logged.
import { readFileSync } from 'node:fs';
import { Reader, type CityResponse } from 'mmdb-lib';
import { isIP } from 'node:net';
import { ConfigError } from '../errors.ts';
import type { Locale } from './i18n.ts';

let reader: Reader<CityResponse> | undefined;

/** Opens the database, or none; throws ConfigError when the file cannot be read as a MaxMind DB with cities or countries. */
export function setGeoIp(file: string | undefined): void {
  if (!file) {
    reader = undefined;
    return;
  }
  try {
    const opened = new Reader<CityResponse>(readFileSync(file));
    if (!/city|country/i.test(opened.metadata.databaseType)) throw new Error(`its type is ${opened.metadata.databaseType}, not a city or country database`);
    reader = opened;
  } catch (e) {
    throw new ConfigError([`GEOIP_DB: cannot read ${file} as a MaxMind DB: ${(e as Error).message}`]);
  }
}

export const hasGeoIp = (): boolean => reader !== undefined;

/** "Gent, België": the city (in the reader's language where the database names it) and the country; undefined when unknown. */
export function placeOf(ip: string, locale: Locale): string | undefined {
  if (!reader || !isIP(ip)) return undefined;
  let found: CityResponse | null;
  try {
    found = reader.get(ip);
  } catch {
    // An IPv6 address in an IPv4-only database.
    return undefined;
  }
  const names = found?.city?.names as Partial<Record<string, string>> | undefined;
  const city = names?.[locale] ?? names?.en;
  const iso = found?.country?.iso_code;
  const country = iso ? (new Intl.DisplayNames([locale], { type: 'region' }).of(iso) ?? iso) : undefined;
  return [city, country].filter(Boolean).join(', ') || undefined;
}
