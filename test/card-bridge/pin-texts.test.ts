// The bridge's own pages (PIN, choice of card, outcome) are read by the same citizen as the provider's pages, right
// after them: the same register per language, and French spacing.
import { describe, expect, it } from 'vitest';
import { LANGUAGES, TEXT_KEYS, text } from '../../card-bridge/daemon/pin-texts.ts';
import { registerProblems } from '../helpers/language-check.ts';

describe("the card bridge's pages", () => {
  it.each(LANGUAGES.filter((l) => l !== 'en'))("%s: the register of the provider's pages", (lang) => {
    const params = { host: 'www.example.be', holder: 'Jan Peeters', reader: 'Reader 0', number: '592-1234567-89' };
    const problems = TEXT_KEYS.flatMap((key) => registerProblems(lang, key, text(lang, key, params)));
    expect(problems).toEqual([]);
  });
});
