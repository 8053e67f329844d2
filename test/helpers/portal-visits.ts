// The pages a person sees first in each example portal of one provider (PORTAL_PROFILES), each under its theme:
// the login page, the sign-up choice and the account page. `npm run screenshots` walks them beside the catalogue.
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import * as client from 'openid-client';
import type { TestProvider } from './provider.ts';
import type { Visit } from './page-catalogue.ts';
import { PERSON } from './page-catalogue.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { discover } from './rp.ts';

const example = (dir: string) => fileURLToPath(new URL(`../../examples/${dir}/`, import.meta.url));

/** A city's alert portal, a school's and a shop's, as an operator would declare them. */
export const EXAMPLE_PROFILES = {
  city: { registrationModes: ['open', 'eid'], theme: example('theme') },
  school: { registrationModes: ['invitation'], alerts: false, phone: false, theme: example('themes/school'), loginIdentifier: 'username' },
  shop: { registrationModes: ['customer'], alerts: false, customerNumber: true, loginIdentifier: 'email_or_customer_number' },
} as const;

const APP_NAMES: Record<keyof typeof EXAMPLE_PROFILES, string> = { city: 'BE-Alert Voorbeeld', school: 'Schoolplatform', shop: 'Webshop Voorbeeld' };
const CUSTOMER_NUMBER = 'K4711';
/** How the catalogue's person logs in in each portal: in the shop, as the customer they are there. */
const IDENTIFIER: Record<keyof typeof EXAMPLE_PROFILES, string> = { city: PERSON.username, school: PERSON.username, shop: CUSTOMER_NUMBER };

/**
 * The visits of one portal, in order, for a browser context of its own (the portal is remembered in a cookie). The
 * catalogue's person (pageCatalogue made them) is a customer of the shop.
 */
export async function portalVisits(idp: TestProvider, profile: keyof typeof EXAMPLE_PROFILES): Promise<Visit[]> {
  const { db, users, provider } = idp.services;
  const person = (await users.findByIdentifier(db, PERSON.username, 'username'))[0]!;
  await db('customers')
    .insert({ customer_number: CUSTOMER_NUMBER, name: 'Dubois', name_key: 'dubois', user_id: person.id, imported_at: new Date() })
    .onConflict('customer_number')
    .ignore();
  const app = await createClient(provider(), {
    name: APP_NAMES[profile],
    redirectUris: ['http://127.0.0.1:9/cb'],
    firstParty: true,
    portalProfile: profile,
  });
  const rp = await discover(idp.issuer, app.client_id, app.client_secret);
  const url = async () =>
    client.buildAuthorizationUrl(rp, {
      redirect_uri: 'http://127.0.0.1:9/cb',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href;
  return [
    { name: `portal-${profile}-login`, go: async (page: Page) => void (await page.goto(await url())) },
    { name: `portal-${profile}-registration`, go: async (page: Page) => void (await page.goto(`${idp.issuer}/registration`)) },
    {
      name: `portal-${profile}-account`,
      async go(page: Page) {
        await page.goto(`${idp.issuer}/self/login?return_to=/account`);
        await page.fill('#identifier', IDENTIFIER[profile]);
        await page.fill('#password', PERSON.password);
        await page.click('button[type=submit].primary');
        await page.waitForURL(`${idp.issuer}/account`);
      },
    },
  ];
}
