// A day given to the audit filter (/admin/audit, idp audit --since/--until) is a day in TIME_ZONE, the zone its times
// are printed in: an event printed "2026-12-07 00:30:00 +01:00" is one of 7 December's, not of the 6th.
import { afterEach, describe, expect, it } from 'vitest';
import { auditFilterInput } from '../../../provider/flows/admin/audit-search.ts';
import { DEFAULT_TIME_ZONE, setTimeZone } from '../../../provider/platform/web/i18n.ts';

const filter = (since: string, until: string) => auditFilterInput.safeParse({ since, until });

describe('the days of the audit filter', () => {
  afterEach(() => setTimeZone(DEFAULT_TIME_ZONE));

  it('are days in TIME_ZONE, in winter and in summer, and a day the calendar has not is refused', () => {
    setTimeZone('Europe/Brussels');
    expect(filter('2026-12-07', '2026-12-07').data).toMatchObject({ since: new Date('2026-12-06T23:00:00Z'), until: new Date('2026-12-07T23:00:00Z') });
    expect(filter('2026-07-01', '2026-07-01').data).toMatchObject({ since: new Date('2026-06-30T22:00:00Z'), until: new Date('2026-07-01T22:00:00Z') });
    // The day the clocks go forward has 23 hours.
    expect(filter('2026-03-29', '2026-03-29').data).toMatchObject({ since: new Date('2026-03-28T23:00:00Z'), until: new Date('2026-03-29T22:00:00Z') });
    expect(filter('2026-02-30', '').success).toBe(false);
    setTimeZone('UTC');
    expect(filter('2026-12-07', '2026-12-07').data).toMatchObject({ since: new Date('2026-12-07T00:00:00Z'), until: new Date('2026-12-08T00:00:00Z') });
    // A time says its own offset.
    expect(filter('2026-12-07 00:30:00 +01:00', '').data?.since).toEqual(new Date('2026-12-06T23:30:00Z'));
  });
});
