// Headless Debian Chromium driven by playwright-core (no browser download).
import { chromium, type Browser, type Page } from 'playwright-core';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * What a page's scripts complain of (console errors other than a failed load, CSP reports, uncaught errors) and the
 * origins it asks: a page that works under the strict CSP from the provider alone leaves the first empty and the
 * second the provider's.
 */
export function watchPage(p: Page): { problems: string[]; hosts: Set<string> } {
  const problems: string[] = [];
  const hosts = new Set<string>();
  p.on('console', (m) => {
    if ((m.type() === 'error' && !m.text().startsWith('Failed to load resource')) || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  p.on('pageerror', (e) => problems.push(e.message));
  p.on('request', (r) => hosts.add(new URL(r.url()).origin));
  return { problems, hosts };
}
