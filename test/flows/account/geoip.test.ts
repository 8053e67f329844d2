// With a GeoIP database (GEOIP_DB), the session list names the approximate place of each session in the reader's
// language instead of its network; the place is shown to the person and never written to the log. The database is a
// tiny MaxMind DB written by the test (test/helpers/mmdb.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { city, cityDatabase } from '../../helpers/mmdb.ts';
import { placeOf, setGeoIp } from '../../../provider/platform/web/geoip.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';
import { captureOutput } from '../../helpers/output.ts';
import { startSessionListBench, type SessionListBench } from './session-list.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'belid-geoip-'));
const GEOIP_DB = path.join(dir, 'cities.mmdb');
writeFileSync(
  GEOIP_DB,
  cityDatabase({
    // The tests' browsers come from the loopback address.
    '127.0.0.0/8': city({ en: 'Ghent', de: 'Gent', fr: 'Gand' }, 'BE'),
    '192.0.2.0/24': city({ en: 'Cologne', de: 'Köln' }, 'DE'),
    '2001:db8::/32': city({ en: 'Liège' }, 'BE'),
  }),
);

describe('the place of an address', () => {
  afterAll(() => setGeoIp(undefined));

  it('is the city and country in the reader language, or nothing without a database or a match', () => {
    expect(placeOf('192.0.2.7', 'en')).toBeUndefined();
    setGeoIp(GEOIP_DB);
    expect(placeOf('192.0.2.7', 'de')).toBe('Köln, Deutschland');
    // The database names no Dutch city: its English name, with the country in Dutch.
    expect(placeOf('192.0.2.7', 'nl')).toBe('Cologne, Duitsland');
    expect(placeOf('127.0.0.1', 'fr')).toBe('Gand, Belgique');
    expect(placeOf('2001:db8::5', 'en')).toBe('Liège, Belgium');
    expect(placeOf('198.51.100.1', 'en')).toBeUndefined();
    expect(placeOf('not an address', 'en')).toBeUndefined();
  });

  it('refuses a file that is no MaxMind DB, naming the setting', () => {
    const bad = path.join(dir, 'cities.csv');
    writeFileSync(bad, 'network,city\n127.0.0.0/8,Ghent\n');
    expect(() => setGeoIp(bad)).toThrow(/GEOIP_DB: cannot read .*cities\.csv as a MaxMind DB/);
  });
});

describe.skipIf(!has('chromium'))('the session list with GEOIP_DB', { timeout: 120_000 }, () => {
  let bench: SessionListBench;
  const lines: string[] = [];
  let restore = () => {};
  beforeAll(async () => {
    bench = await startSessionListBench({ GEOIP_DB, LOG_LEVEL: 'debug' });
    restore = captureOutput(lines);
  });
  afterAll(async () => {
    restore();
    setGeoIp(undefined);
    await bench?.close();
  });

  it('names the approximate place of each session, in the reader language, and never logs it', async () => {
    const context = await bench.browser.newContext({ locale: 'de-DE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await bench.logIn(page);
    await page.goto(`${bench.idp.issuer}/account/sessions`);
    const cell = page.locator('#sessions tbody tr').first().locator('td').first();
    await expect(cell.innerText()).resolves.toBe('Gent, Belgien');
    expect(await cell.evaluate((e) => getComputedStyle(e, '::before').content)).toBe(`"${translate('de', 'account.sessions.place')}: "`);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => /Gent|Ghent|Belgi/.test(l))).toEqual([]);
  });
});
