// The pages in the middle of a stored flow, for the page catalogue (page-catalogue.ts): each visit makes its flow in
// the flow store at the step the page shows, instead of reading an eID card or logging in at a bank.
import { randomBytes } from 'node:crypto';
import { cookieSigner } from '../../provider/platform/web/cookie-signer.ts';
import type { Page } from 'playwright-core';
import type { TestProvider } from './provider.ts';
import type { Visit } from './page-catalogue.ts';
import { ACCOUNT_FLOW, REACTIVATION_FLOW, type AccountData } from '../../provider/flows/reactivation/states.ts';
import { createNonceService } from '../../provider/methods/eid-card/nonces.ts';
import { UPSTREAM_FLOW, type UpstreamFlowData } from '../../provider/methods/upstream/service.ts';
import { BROWSER_COOKIE, browserBindingOf, type Binding } from '../../provider/domain/flow-state/binding.ts';

const CARD_NUMBER = '592123456789';
const TTL_SECONDS = 600;

/** Opens a step of a flow. Each such page has a form posting back to its own address, which an error page shown
 *  instead (an unknown flow, a wrong state) has not: waiting for it keeps a visit from checking the wrong page. */
async function openStep(idp: TestProvider, page: Page, path: string): Promise<void> {
  await page.goto(`${idp.issuer}${path}`);
  await page.locator(`form[action="${path}"]`).waitFor({ state: 'attached' });
}

/**
 * Gives the browser the cookie a flow's first step sets, signed as Koa signs cookies (keygrip: the HMAC-SHA1 of
 * "name=value" under the first of the app's keys, in base64url, in a cookie "name.sig").
 */
async function setSignedCookie(idp: TestProvider, page: Page, name: string, value: string, path = '/'): Promise<void> {
  const sig = cookieSigner(idp.services.cookieKeys).sign(`${name}=${value}`);
  const domain = new URL(idp.issuer).hostname;
  await page.context().addCookies(
    [
      { name, value },
      { name: `${name}.sig`, value: sig },
    ].map((c) => ({ ...c, domain, path, httpOnly: true, sameSite: 'Lax' as const })),
  );
}

/** Makes `page`'s browser a known one, as its first flow step would: the flows a visit makes are bound to it. */
export async function knownBrowser(idp: TestProvider, page: Page): Promise<Binding> {
  const id = randomBytes(32).toString('base64url');
  await setSignedCookie(idp, page, BROWSER_COOKIE, id);
  return browserBindingOf(id);
}

/** Registering with the eID card: the card step, then the address and password under the card's name. */
export function eidRegistrationVisits(idp: TestProvider): Visit[] {
  const { db, flows } = idp.services;
  return [
    { name: 'registration-eid-card', go: (page) => openStep(idp, page, '/registration/eid') },
    {
      name: 'registration-eid-details',
      async go(page) {
        const card = { hmac: 'catalogue-card', givenNames: 'Jan Karel', surname: 'Specimen', cardNumber: CARD_NUMBER };
        const flow = await flows.create(db, {
          type: 'registration',
          state: 'form',
          binding: await knownBrowser(idp, page),
          data: { mode: 'eid', card },
          ttlSeconds: TTL_SECONDS,
        });
        await page.goto(`${idp.issuer}/registration/eid/details?flow=${flow.id}`);
        await page.locator('form[action="/registration/eid/details"]').waitFor({ state: 'attached' });
      },
    },
  ];
}

/** Reactivating `userId` with the eID card: the card step, the card number to confirm, the activation token; then, on
 *  the device being reactivated, the new mobile number's SMS code and the new password. */
export function reactivationVisits(idp: TestProvider, userId: string, mobile: string): Visit[] {
  const { db, flows } = idp.services;
  // Where checkCard leaves a flow: the card read, its account found.
  const cardChecked = async (page: Page) =>
    flows.create(db, {
      type: REACTIVATION_FLOW,
      state: 'card_checked',
      binding: await knownBrowser(idp, page),
      userId,
      data: { mobile, cardNumber: CARD_NUMBER },
      ttlSeconds: TTL_SECONDS,
    });
  const accountFlow = async (page: Page, state: 'phone' | 'password') =>
    flows.create<AccountData>(db, {
      type: ACCOUNT_FLOW,
      state,
      binding: await knownBrowser(idp, page),
      userId,
      data: { mobile, cardNumber: CARD_NUMBER, generation: (await idp.services.users.findById(db, userId))!.access_generation },
      ttlSeconds: TTL_SECONDS,
    });
  return [
    {
      name: 'reactivation-card',
      async go(page) {
        // A flow with its nonce as the reactivation service's start makes it, without that start's limit per number.
        const flow = await createNonceService(flows).start(db, { type: REACTIVATION_FLOW, binding: await knownBrowser(idp, page), data: { mobile } });
        await openStep(idp, page, `/reactivation/${flow.id}/card`);
      },
    },
    { name: 'reactivation-confirm', go: async (page) => openStep(idp, page, `/reactivation/${(await cardChecked(page)).id}/confirm`) },
    {
      name: 'reactivation-token',
      async go(page) {
        await openStep(idp, page, `/reactivation/${(await cardChecked(page)).id}/confirm`);
        await page.click('button[type=submit].primary');
        await page.locator('#activation-token').waitFor();
      },
    },
    { name: 'reactivation-phone', go: async (page) => openStep(idp, page, `/reactivation/account/${(await accountFlow(page, 'phone')).id}/phone`) },
    { name: 'reactivation-password', go: async (page) => openStep(idp, page, `/reactivation/account/${(await accountFlow(page, 'password')).id}/password`) },
  ];
}

/** A first login with an identity from a bank that no account knows yet: "link this identity". */
export function upstreamLinkVisit(idp: TestProvider): Visit {
  const { db, flows } = idp.services;
  return {
    name: 'upstream-link',
    async go(page) {
      const flow = await flows.create<UpstreamFlowData>(db, {
        type: UPSTREAM_FLOW,
        state: 'unlinked',
        binding: await knownBrowser(idp, page),
        data: {
          slug: 'bank',
          name: 'My Bank',
          purpose: 'login',
          checks: null,
          identity: {
            subjectKey: 'bank-customer-1',
            label: 'Marie Dubois',
            givenName: 'Marie',
            familyName: 'Dubois',
            email: null,
            acr: null,
            amr: [],
            nationalNumberHmac: null,
          },
        },
        ttlSeconds: TTL_SECONDS,
      });
      await setSignedCookie(idp, page, 'upstream_flow', flow.id);
      await openStep(idp, page, `/upstream/link/${flow.id}`);
    },
  };
}
