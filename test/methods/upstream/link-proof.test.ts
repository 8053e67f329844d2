// A link from the account page records how its session was proved: with two factors, the link may later stand in for
// the eID card at a reactivation; with a password alone it may not, since whoever else knew the password could have
// made it (the browser test follows the password case through the pages).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { addUpstream } from '../../../provider/domain/upstreams/repository.ts';
import { secretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import { createUpstreamService, UPSTREAM_FLOW, type UpstreamFlowData } from '../../../provider/methods/upstream/service.ts';
import type { Services } from '../../../provider/app/server.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { testServices } from '../../helpers/services.ts';

describe('a link made from the account page', () => {
  let db: Db;
  let services: Services;

  beforeAll(async () => {
    ({ db, services } = await testServices());
    await addUpstream(db, secretBox('k'.repeat(32)), { slug: 'bank', name: 'Bank', issuer: 'https://bank.example', clientId: 'c', clientSecret: 's' });
  });
  afterAll(() => db?.destroy());

  it.each([
    [true, 'two_factors'],
    [false, 'password'],
  ])('from a session with two factors (%s) is recorded as made with %s', async (twoFactors, madeWith) => {
    const user = await services.users.create(db, { username: `an.${madeWith}`, email: `an.${madeWith}@example.be`, emailVerified: true, status: 'active' });
    const data: UpstreamFlowData = {
      slug: 'bank',
      name: 'Bank',
      purpose: 'link',
      checks: null,
      ...(twoFactors ? { twoFactors } : {}),
      identity: { subjectKey: `sub:${madeWith}`, label: 'An', givenName: null, familyName: null, email: null, nationalNumberHmac: null, acr: null, amr: [] },
    };
    const flow = await services.flows.create(db, {
      type: UPSTREAM_FLOW,
      state: 'returned',
      binding: newApiSecret().binding,
      userId: user.id,
      data,
      ttlSeconds: 600,
    });
    expect(await createUpstreamService(services).linkToAccount(flow, '203.0.113.9')).toBe('linked');
    expect(await db('upstream_links').where({ user_id: user.id }).pluck('made_with')).toEqual([madeWith]);
    expect(await db('audit_log').where({ user_id: user.id, event: 'upstream.linked' }).pluck('details')).toEqual([{ upstream: 'bank', madeWith }]);
  });
});
