// The acr an upstream states reaches the ID token only when staff trust it to (--acr-from-upstream), and never as
// this provider's own eID level, which only a card read here grants (else a bank's say-so would satisfy an eID
// step-up without any card). An app requiring two factors takes them from a trusted upstream whose answer proves
// them; from any other, the person's own second step is asked.
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../../helpers/services.ts';
import type { Services } from '../../../provider/app/server.ts';
import { createUpstreamService, UPSTREAM_FLOW, type UpstreamFlowData } from '../../../provider/methods/upstream/service.ts';
import { ACR } from '../../../provider/oidc/acr.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';

describe('the acr of an upstream login', () => {
  let db: Db;
  let services: Services;
  let userId: string;

  beforeAll(async () => {
    ({ db, services } = await testServices());
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

  async function resultOf(slug: string, stated: string | null, o: { amr?: string[]; twoFactors?: boolean } = {}) {
    const data: UpstreamFlowData = {
      slug,
      name: slug,
      purpose: 'login',
      checks: null,
      interaction: 'uid-1',
      identity: { subjectKey: 'sub:1', label: null, givenName: null, familyName: null, email: null, nationalNumberHmac: null, acr: stated, amr: o.amr ?? [] },
    };
    const flow = await services.flows.create(db, {
      type: UPSTREAM_FLOW,
      state: 'authenticated',
      binding: newApiSecret().binding,
      userId,
      data,
      ttlSeconds: 600,
    });
    return createUpstreamService(services).login(flow, 'uid-1', o.twoFactors ?? false);
  }
  const acrOf = async (slug: string, stated: string | null) => (await resultOf(slug, stated)).login.acr;

  it("passes a trusted upstream's own level through, but never as this provider's eID or passkey level", async () => {
    expect(await acrOf('trusted', 'urn:example:loa:high')).toBe('urn:example:loa:high');
    expect(await acrOf('trusted', ACR.password)).toBe(ACR.password);
    expect(await acrOf('trusted', ACR.eid)).toBe(ACR.federated);
    // An app that asks for a passkey of this provider's must not get a bank's word for one (OIDC attack pass).
    expect(await acrOf('trusted', ACR.passkey)).toBe(ACR.federated);
    expect(await acrOf('trusted', null)).toBe(ACR.federated);
    expect(await acrOf('plain', 'urn:example:loa:high')).toBe(ACR.federated);
  });

  it('takes two factors from a trusted upstream whose answer proves them, and leaves the second step to us otherwise', async () => {
    const proven = async (slug: string, stated: string | null, amr: string[]) => {
      const r = await resultOf(slug, stated, { amr, twoFactors: true });
      return r.secondStep ? 'second step' : r.login;
    };
    // Two kinds of factor (known and held), `mfa`, or an eIDAS level from substantial up.
    expect(await proven('trusted', ACR.mfa, ['pwd', 'otp'])).toMatchObject({ method: 'upstream', acr: ACR.mfa, amr: ['fed', 'pwd', 'otp'] });
    expect(await proven('trusted', 'urn:example:loa:2', ['mfa'])).toMatchObject({ acr: ACR.mfa, amr: ['fed', 'mfa'] });
    expect(await proven('trusted', 'http://eidas.europa.eu/LoA/substantial', [])).toMatchObject({ acr: ACR.mfa, amr: ['fed'] });
    // One factor, two of one kind, or an upstream not trusted to say how it authenticated: our own second step.
    expect(await proven('trusted', ACR.password, ['pwd'])).toBe('second step');
    expect(await proven('trusted', 'http://eidas.europa.eu/LoA/low', ['otp', 'sms'])).toBe('second step');
    expect(await proven('plain', ACR.mfa, ['pwd', 'otp'])).toBe('second step');
    // Not asked for two factors, the result is as before.
    expect((await resultOf('trusted', ACR.password, { amr: ['pwd'] })).secondStep).toBe(false);
  });
});
