// Dates and times a person reads are in TIME_ZONE (Europe/Brussels unless set), not in the server's clock: a session
// that began at 01:13 UTC on a UTC machine began at 02:13 for a person in Belgium.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { render } from '../../../provider/platform/web/views.ts';
import { setTimeZone, DEFAULT_TIME_ZONE } from '../../../provider/platform/web/i18n.ts';
import { createRecoveryService } from '../../../provider/flows/recovery/service.ts';
import { createPasswordPolicy } from '../../../provider/domain/accounts/password-policy.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';

const INSTANT = new Date('2026-12-07T01:13:00Z');

const sessionsPage = () =>
  render('pages/account/sessions.njk', {
    locale: 'de',
    csrf: 'x',
    titleKey: 'account.sessions.title',
    returnTo: '/account/sessions',
    nav: 'sessions',
    sessions: [
      { uid: 's1', loginAt: INSTANT, current: true, apps: [], device: { browser: 'Firefox', os: 'Linux', network: '192.0.2.0/24', lastSeenAt: INSTANT } },
    ],
    apps: [],
  });

describe('the time zone of dates shown to people', () => {
  afterEach(() => setTimeZone(DEFAULT_TIME_ZONE));

  it('shows a session in Brussels time by default, and in TIME_ZONE when set', () => {
    expect(sessionsPage()).toContain('7. Dezember 2026 um 02:13');
    expect(sessionsPage()).not.toContain('01:13');
    setTimeZone('America/New_York');
    expect(sessionsPage()).toContain('6. Dezember 2026 um 20:13');
  });

  describe('in a mail', () => {
    let idp: TestProvider;
    beforeAll(async () => {
      idp = await startTestProvider('pglite');
    });
    afterAll(() => idp?.close());
    afterEach(() => vi.useRealTimers());

    it('says when the password was changed in Brussels time', async () => {
      const { db, users, hasher } = idp.services;
      const user = await users.create(db, {
        username: 'wout',
        email: 'wout@example.be',
        emailVerified: true,
        passwordHash: await hasher.hash('an old long passphrase'),
        status: 'active',
        locale: 'de',
      });
      vi.useFakeTimers({ toFake: ['Date'], now: INSTANT });
      const recovery = createRecoveryService({ ...idp.services, policy: createPasswordPolicy(idp.services.config) });
      await recovery.mailLinkFor(user);
      const link = await db('outbox').where({ user_id: user.id }).orderBy('created_at', 'desc').first();
      const token = /token=([^&\s]+)/.exec(link.body_text as string)![1]!;
      expect((await recovery.reset(decodeURIComponent(token), 'a river of slow green light', { ip: '192.0.2.1', locale: 'de' })).status).toBe('ok');
      const rows = await db('outbox').where({ user_id: user.id }).select('body_text');
      const changed = rows.map((r: { body_text: string }) => r.body_text).find((t: string) => t.includes('2026'));
      expect(changed).toContain('7. Dezember 2026 um 02:13');
    });
  });
});
