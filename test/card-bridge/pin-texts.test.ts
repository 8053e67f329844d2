// The bridge's own pages (PIN, choice of card, outcome) are read by the same citizen as the provider's pages, right
// after them: the same register per language, and French spacing.
import { describe, expect, it } from 'vitest';
import { choiceForm, outcomePage, pinForm, pinPadPage } from '../../card-bridge/daemon/pin-page.ts';
import { LANGUAGES, TEXT_KEYS, text, type Language } from '../../card-bridge/daemon/pin-texts.ts';
import { registerProblems } from '../helpers/language-check.ts';

describe("the card bridge's pages", () => {
  it.each(LANGUAGES.filter((l) => l !== 'en'))("%s: the register of the provider's pages", (lang) => {
    const params = { host: 'www.example.be', holder: 'Jan Peeters', reader: 'Reader 0', number: '592-1234567-89' };
    const problems = TEXT_KEYS.flatMap((key) => registerProblems(lang, key, text(lang, key, params)));
    expect(problems).toEqual([]);
  });
});

describe("the card bridge's page header", () => {
  const card = { slot: '0', reader: 'Reader 0', pinPad: false, holder: 'Jan Peeters', cardNumber: '592123456789' };
  const context = (lang: Language) => ({ lang, origin: 'https://www.example.be', csrf: 'x' });

  // The provider's pages name the bridge in each language; the bridge's window must be recognisably the same program.
  it.each([
    ['nl', 'Kaartbrug'],
    ['fr', 'Pont de carte'],
    ['de', 'Kartenbrücke'],
    ['en', 'Card bridge'],
  ] as const)('%s: names the bridge as the provider does, on every page', (lang, name) => {
    const pages = [
      pinForm({ ...context(lang), card, lastTry: false }),
      choiceForm({ ...context(lang), cards: [card] }),
      pinPadPage({ ...context(lang), card, waiting: true }),
      outcomePage(lang, text(lang, 'done.title'), text(lang, 'done.body', { host: 'www.example.be' })),
    ];
    for (const page of pages) {
      expect(page).toContain(`<header>${name}</header>`);
      expect(page).toMatch(new RegExp(`<title>[^<]+ – ${name}</title>`));
      expect(page).not.toContain('eID bridge');
    }
  });

  it('shows the card number grouped as the card and the provider show it', () => {
    expect(pinForm({ ...context('nl'), card, lastTry: false })).toContain('<p id="card">Kaart van Jan Peeters, kaartnummer 592-1234567-89</p>');
    expect(choiceForm({ ...context('fr'), cards: [card] })).toContain('(numéro de carte 592-1234567-89)');
  });
});
