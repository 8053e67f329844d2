// `idp audit` on a real PostgreSQL: a --since or --until that names no moment is refused before anything is printed,
// and the pages it suggests follow one another without gaps or repeats, even where events share a millisecond.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp } from '../../helpers/cli.ts';

describe('idp audit', { timeout: 120_000 }, () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startTestProvider('postgres');
  });
  afterAll(() => p?.close());

  it.each([
    ['an offset beyond +14:00', '2026-12-01T10:00+99:00'],
    ['an offset beyond +14:00 by minutes', '2026-12-01T10:00+14:30'],
    ['an offset beyond -12:00', '2026-12-01T10:00-12:30'],
    ['minutes of an offset past 59', '2026-12-01T10:00+01:75'],
    ['a day the calendar has not, with a time', '2026-02-30T10:00Z'],
    ['a day the calendar has not', '2026-02-30'],
    ['an hour past 23', '2026-12-01T25:00Z'],
    ['the hour 24', '2026-12-01T24:00Z'],
    ['minutes past 59', '2026-12-01 10:60:00 +01:00'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['a bare number', '1'],
    ['words', 'Dec 1 2026'],
  ])('refuses %s (%s) as --since and --until, and prints nothing', async (_, value) => {
    for (const option of ['--since', '--until']) {
      const r = await idp(p, ['audit', option, value]);
      expect([r.code, r.err, r.out]).toEqual([2, `${option}: Enter a date such as 2026-12-01.`, '']);
    }
  });

  it.each([
    ['2026-12-01T10:00+14:00', '2026-11-30T20:00:00.000Z'],
    ['2026-12-01T10:00-12:00', '2026-12-01T22:00:00.000Z'],
    ['2026-12-01T08:00Z', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01 09:00:00 +01:00', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01 09:00:00.123 +01:00', '2026-12-01T08:00:00.123Z'],
    ['2026-12-01T09:00:00.5+0100', '2026-12-01T08:00:00.500Z'],
    // Without an offset, TIME_ZONE's time (Europe/Brussels, the default), as the command prints it, in winter and in
    // summer: not the zone of the process that reads it.
    ['2026-12-01T10:00', '2026-12-01T09:00:00.000Z'],
    ['2026-07-01 10:00:00', '2026-07-01T08:00:00.000Z'],
  ])('takes %s as %s', async (value, moment) => {
    // It, and the millisecond before it: --since takes the one, --until the other.
    const ids = await Promise.all(
      [new Date(moment), new Date(Date.parse(moment) - 1)].map(
        async (at) => (await p.db('audit_log').insert({ event: 'test.moment', at }, ['id']))[0].id as string,
      ),
    );
    const shown = async (option: string) =>
      (await idp(p, ['audit', '--type', 'test.moment', option, value, '--json'])).out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id);
    expect([await shown('--since'), await shown('--until')]).toEqual([[ids[0]], [ids[1]]]);
    await p.db('audit_log').whereIn('id', ids).delete();
  });

  it('pages with the option it suggests, without losing or repeating events that share a millisecond', async () => {
    // PostgreSQL keeps microseconds: three events in one, two of them in a millisecond that another one shares.
    const at = [
      '2026-11-30T12:00:00.100Z',
      '2026-11-30T12:00:00.123400Z',
      '2026-11-30T12:00:00.123456Z',
      '2026-11-30T12:00:00.123456Z',
      '2026-11-30T12:00:00.123456Z',
      '2026-11-30T12:00:00.200Z',
    ];
    for (const [i, t] of at.entries())
      await p.db.raw(`insert into audit_log (event, at, details) values ('test.same_ms', ?::timestamptz, ?)`, [t, JSON.stringify({ i })]);
    const all = (await idp(p, ['audit', '--type', 'test.same_ms', '--json'])).out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { details: { i: number } }).details.i);
    expect(all).toEqual([5, 4, 3, 2, 1, 0]);

    const seen: number[] = [];
    let next: string[] = [];
    for (let pages = 0; pages < all.length; pages++) {
      const r = await idp(p, ['audit', '--type', 'test.same_ms', '--limit', '2', ...next]);
      expect(r.code, r.err).toBe(0);
      // A page that lost what it should have shown says so.
      const lines = r.out === 'No events\n' ? [] : r.out.trim().split('\n');
      const hint = /^\(older events: --limit more, or (--[a-z]+) '?([^']+?)'?\)$/.exec(lines.at(-1) ?? '');
      seen.push(...lines.slice(0, hint ? -1 : undefined).map((l) => (JSON.parse(l.split('  ')[4]!) as { i: number }).i));
      if (!hint) break;
      next = [hint[1]!, hint[2]!];
    }
    expect(seen).toEqual(all);
  });
});
