// Usernames from names: transliteration as a person writes a name without its special letters, and numbering.
import { describe, expect, it } from 'vitest';
import { firstFree, nameKey, transliterate, usernameBase } from '../../../provider/domain/accounts/usernames.ts';

describe('username generation', () => {
  it.each([
    ['Max', 'Müller', 'max.mueller'],
    ['Jürgen', 'Groß', 'juergen.gross'],
    ['Özlem', 'Şahin', 'oezlem.sahin'],
    ['François', 'Lefèvre', 'francois.lefevre'],
    ['Núria', 'Peña', 'nuria.pena'],
    ['Søren', 'Kierkegård', 'soren.kierkegard'],
    ['Æsa', 'Œuvrard', 'aesa.oeuvrard'],
    ['Anna-Lena', 'van der Berg', 'anna-lena.van-der-berg'],
    ['Jean-Luc', "D'Artagnan", 'jean-luc.d-artagnan'],
    ['  Émile ', 'ZOLA', 'emile.zola'],
    ['Łukasz', 'Wałęsa', 'lukasz.walesa'],
    ['李', 'Wang', 'wang'],
    ['李', '王', 'user'],
  ])('%s %s → %s', (given, family, expected) => {
    expect(usernameBase(given, family)).toBe(expected);
    expect(usernameBase(given, family)).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
  });

  it('transliterates the table of the issue', () => {
    expect(transliterate('äöüßéçñøå ÄÖÜ')).toBe('aeoeuessecnoa aeoeue');
  });

  it('keeps parts short enough for the 64-character limit', () => {
    const u = usernameBase('A'.repeat(80), 'B'.repeat(80));
    expect(u.length).toBeLessThanOrEqual(61);
  });

  it('numbers collisions from 2', () => {
    expect(firstFree('max.mueller', new Set())).toBe('max.mueller');
    expect(firstFree('max.mueller', new Set(['max.mueller']))).toBe('max.mueller2');
    expect(firstFree('max.mueller', new Set(['max.mueller', 'max.mueller2', 'max.mueller3']))).toBe('max.mueller4');
  });

  it('compares names regardless of case, accents and spacing', () => {
    expect(nameKey('  Müller-Lüdenscheidt GmbH ')).toBe(nameKey('mueller lüdenscheidt  gmbh'));
    expect(nameKey('Muller')).not.toBe(nameKey('Müller'));
  });
});
