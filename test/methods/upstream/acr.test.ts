// The acr an upstream states reaches the ID token only when staff trust it to (--acr-from-upstream), and never as
// this provider's own eID level, which only a card read here grants (else a bank's say-so would satisfy an eID
// step-up without any card).
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../helpers/db.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { createServices, type Services } from '../../../provider/app/server.ts';
import { createUpstreamService, UPSTREAM_FLOW, type UpstreamFlowData } from '../../../provider/methods/upstream/service.ts';
import { ACR } from '../../../provider/oidc/acr.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

describe('the acr of an upstream login', () => {
  let db: Db;
  let services: Services;
  let userId: string;

  beforeAll(async () => {
    ({ db } = await testDb('pglite'));
    services = await createServices(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' }), db);
    userId = (await services.users.create(db, { username: 'jan', email: 'jan@example.be', emailVerified: true, status: 'active' })).id;
    for (const [slug, trusted] of [
      ['trusted', true],
      ['plain', false],
    ] as const) {
      await db('upstream_providers').insert({
        slug,
        name: slug,
        issuer: `https://${slug}.example`,
        client_id: 'belid',
        client_secret: 'sealed',
        scopes: 'openid',
        subject_claim: 'sub',
        uses: JSON.stringify(['login']),
        acr_from_upstream: trusted,
        enabled: true,
        created_at: new Date(),
      });
    }
  });
  afterAll(() => db?.destroy());

  async function acrOf(slug: string, stated: string | null): Promise<string> {
    const data: UpstreamFlowData = {
      slug,
      name: slug,
      purpose: 'login',
      checks: null,
      interaction: 'uid-1',
      identity: { subjectKey: 'sub:1', label: null, givenName: null, familyName: null, email: null, nationalNumberHmac: null, acr: stated },
    };
    const flow = await services.flows.create(db, {
      type: UPSTREAM_FLOW,
      state: 'authenticated',
      binding: newApiSecret().binding,
      userId,
      data,
      ttlSeconds: 600,
    });
    return (await createUpstreamService(services).login(flow, 'uid-1')).acr;
  }

  it("passes a trusted upstream's own level through, but never as this provider's eID level", async () => {
    expect(await acrOf('trusted', 'urn:example:loa:high')).toBe('urn:example:loa:high');
    expect(await acrOf('trusted', ACR.password)).toBe(ACR.password);
    expect(await acrOf('trusted', ACR.eid)).toBe(ACR.federated);
    expect(await acrOf('trusted', null)).toBe(ACR.federated);
    expect(await acrOf('plain', 'urn:example:loa:high')).toBe(ACR.federated);
  });
});
