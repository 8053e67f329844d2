// Message catalogues: every key exists in nl, fr, de and en with the same placeholders, and every key is used by
// a template or by the code (literally, or under a prefix that the code completes at run time).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCALES, catalogue } from '../../../provider/platform/web/i18n.ts';

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

describe('message catalogues', () => {
  const en = catalogue('en');

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has exactly the keys of en, with the same placeholders', (locale) => {
    const c = catalogue(locale);
    expect(Object.keys(c).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) expect(placeholders(c[key]!), `${locale} ${key}`).toEqual(placeholders(en[key]!));
  });

  it('keeps French punctuation on its line: a non-breaking space before ? ! : ; and inside « »', () => {
    const breakable = Object.entries(catalogue('fr')).filter(([, text]) => / [?!:;»]|« /.test(text));
    expect(breakable).toEqual([]);
  });

  it('has no empty text', () => {
    for (const locale of LOCALES) for (const [key, text] of Object.entries(catalogue(locale))) expect(text.trim(), `${locale} ${key}`).not.toBe('');
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
