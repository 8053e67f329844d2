// The staff pages' browser checks: the logged-in staff agent's session in Chromium, at a phone width in English and
// a desktop width in Dutch, one tab each.
import type { Page } from 'playwright-core';
import { launchBrowser } from '../../helpers/browser.ts';
import type { Agent } from '../account/agent.ts';

export async function inStaffBrowser(staff: Agent, issuer: string, visit: (tab: Page, locale: 'en' | 'nl') => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    for (const [locale, viewport] of [
      ['en', { width: 375, height: 740 }],
      ['nl', { width: 1280, height: 900 }],
    ] as const) {
      const context = await browser.newContext({ viewport, locale });
      await context.addCookies([...staff.jar].map(([name, value]) => ({ name, value, url: issuer })));
      await visit(await context.newPage(), locale);
      await context.close();
    }
  } finally {
    await browser.close();
  }
}
