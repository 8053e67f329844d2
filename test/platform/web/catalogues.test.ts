// Message catalogues: every key exists in nl, fr, de and en with the same placeholders, and every key is used by
// a template or by the code (literally, or under a prefix that the code completes at run time).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCALES, catalogue, messageTexts, type Locale, type Message } from '../../../provider/platform/web/i18n.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p, ext);
    return ext.test(name) ? [p] : [];
  });
}

const sources = [...files(path.join(ROOT, 'views'), /\.njk$/), ...files(path.join(ROOT, 'provider'), /\.ts$/)].map((f) => readFileSync(f, 'utf8')).join('\n');

/** Prefixes completed at run time, e.g. t('scope.' + s); each is found literally in the sources below. */
const dynamicPrefixes = [...sources.matchAll(/['"`]([a-z_]+(?:\.[a-z_]+)*\.)['"`]\s*\+|`([a-z_]+(?:\.[a-z_]+)*\.)\$\{/g)].map((m) => m[1] ?? m[2]!);

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/**
 * Every placeholder of the catalogue, classed once by what the code and templates give it: a number, or anything
 * else. A new placeholder has to be added to one of the two, so that no count escapes the plural check.
 */
const NUMBERS = ['tries', 'count', 'max', 'min', 'length', 'days', 'codes', 'seconds', 'fresh', 'waiting'];
const NOT_NUMBERS = [
  ...[
    'app',
    'browser',
    'cardNumber',
    'channel',
    'client',
    'clientId',
    'code',
    'contact',
    'created',
    'current',
    'dataDir',
    'date',
    'duration',
    'email',
    'error',
  ],
  ...['event', 'example', 'family', 'given', 'international', 'label', 'language', 'masked', 'mobile', 'name', 'national', 'number', 'os', 'pid'],
  ...[
    'q',
    'reason',
    'recipient',
    'resource',
    'scope',
    'scopes',
    'sender',
    'service',
    'setting',
    'severity',
    'since',
    'slug',
    'status',
    'subject',
    'text',
    'to',
    'until',
  ],
  ...['used', 'user', 'username', 'value', 'version', 'wait', 'what', 'when'],
];

/** The plural categories whole numbers up to 100 fall in, in `locale` ("one" and "other" for all four languages). */
const categoriesOf = (locale: Locale) => {
  const rules = new Intl.PluralRules(locale);
  return [...new Set(Array.from({ length: 101 }, (_, n) => rules.select(n)))].sort();
};

/** A count followed by a word ("{tries} Versuche", "{count}-mal") needs the word's plural; after a colon it stands alone. */
const countBeforeWord = (text: string) => NUMBERS.find((n) => new RegExp(`\\{${n}\\}[\\s\\u00a0\\u202f-]*\\p{L}`, 'u').test(text));

describe('message catalogues', () => {
  const en = catalogue('en');

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has exactly the keys of en, with the same placeholders', (locale) => {
    const c = catalogue(locale);
    expect(Object.keys(c).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      const wanted = placeholders(messageTexts(en[key]!).at(-1)!);
      for (const text of messageTexts(c[key]!)) expect(placeholders(text), `${locale} ${key}`).toEqual(wanted);
    }
  });

  it('classes every placeholder as a number or not', () => {
    const names = new Set(LOCALES.flatMap((l) => Object.values(catalogue(l)).flatMap(messageTexts).flatMap(placeholders)));
    expect([...names].filter((n) => !NUMBERS.includes(n!) && !NOT_NUMBERS.includes(n!))).toEqual([]);
  });

  it('gives a count followed by a word its plural forms, in every language', () => {
    const problems: string[] = [];
    const shape = (m: Message) => (typeof m === 'string' ? 'text' : `plural by ${m.plural}`);
    for (const key of Object.keys(en)) {
      for (const locale of LOCALES) {
        const message = catalogue(locale)[key]!;
        if (shape(message) !== shape(en[key]!)) problems.push(`${locale} ${key}: ${shape(message)}, en ${shape(en[key]!)}`);
        if (typeof message === 'string') {
          const count = countBeforeWord(message);
          if (count) problems.push(`${locale} ${key}: {${count}} without plural forms`);
          continue;
        }
        if (!NUMBERS.includes(message.plural) || !message.other.includes(`{${message.plural}}`)) problems.push(`${locale} ${key}: plural by ${message.plural}`);
        const forms = Object.keys(message)
          .filter((k) => k !== 'plural')
          .sort();
        if (forms.join() !== categoriesOf(locale).join()) problems.push(`${locale} ${key}: forms ${forms.join()}, not ${categoriesOf(locale).join()}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps French punctuation on its line: a non-breaking space before ? ! : ; and inside « »', () => {
    const breakable = Object.entries(catalogue('fr')).filter(([, message]) => messageTexts(message).some((text) => / [?!:;»]|« /.test(text)));
    expect(breakable).toEqual([]);
  });

  it('has no empty text', () => {
    for (const locale of LOCALES)
      for (const [key, message] of Object.entries(catalogue(locale)))
        for (const text of messageTexts(message)) expect(text.trim(), `${locale} ${key}`).not.toBe('');
  });

  it('types every file of the en catalogue as message keys', () => {
    const typed = readFileSync(path.join(ROOT, 'provider/platform/web/message-key.ts'), 'utf8');
    const areas = readdirSync(path.join(ROOT, 'views/locales/en')).filter((f) => f.endsWith('.json'));
    expect(areas.filter((f) => !typed.includes(`'../../../views/locales/en/${f}'`))).toEqual([]);
  });

  it('uses every key', () => {
    const unused = Object.keys(en).filter(
      (key) =>
        !sources.includes(`'${key}'`) && !sources.includes(`"${key}"`) && !sources.includes(`\`${key}\``) && !dynamicPrefixes.some((p) => key.startsWith(p)),
    );
    expect(unused).toEqual([]);
  });
});
