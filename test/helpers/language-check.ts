// What a reader of one language must never meet in a page or a mail: a catalogue key shown as such, a sentence of
// the English catalogue, common English words, the other register of their language, a broken duration, another
// word for what the pages name with one.
// The register of each language is chosen once, here and in views/locales/README.md: Dutch "u/uw", German
// "Sie/Ihr", French "vous".
import { LOCALES, catalogue, messageTexts, type Locale } from '../../provider/platform/web/i18n.ts';

/** Words of the informal register, each a whole word (letters or digits on neither side: "TA4QV" is a code). */
const INFORMAL: Record<Exclude<Locale, 'en'>, RegExp> = {
  nl: /(?<![\p{L}\p{N}])(je|jij|jou|jouw|jezelf|jullie)(?![\p{L}\p{N}])/iu,
  de: /(?<![\p{L}\p{N}])(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)(?![\p{L}\p{N}])/iu,
  fr: /(?<![\p{L}\p{N}])(tu|toi|ton|ta|tes|te|t['’])(?![\p{L}\p{N}])/iu,
};

/**
 * French writes a no-break space (U+00A0) before : ; ? and !: after an ordinary space a browser may wrap the sign onto
 * a line of its own.
 */
const FRENCH_SPACE = / [:;?!]/u;

/**
 * One apostrophe per language, the one most of its texts used: a page mixing "Clés d’accès" with "Application
 * d'authentification", or "sms'en" with "accountpagina’s", looks unfinished. French the typographic one (U+2019),
 * Dutch the straight one.
 */
const APOSTROPHE: Partial<Record<Locale, { other: RegExp; use: string }>> = {
  fr: { other: /\p{L}'\p{L}/u, use: '’' },
  nl: { other: /\p{L}’\p{L}/u, use: "'" },
};

/** One word for one thing (views/locales/README.md): the word a language does not use, and the one it does. */
const OTHER_WORD: Record<Locale, { word: RegExp; use: string }[]> = {
  nl: [
    { word: /achternaam/iu, use: 'familienaam' },
    { word: /activeringstoken/iu, use: 'activeringscode' },
    { word: /sms['’]?jes/iu, use: "sms'en" },
  ],
  fr: [{ word: /jetons? d['’]activation/iu, use: 'code d’activation' }],
  de: [
    { word: /(?<!be)nutzername/iu, use: 'Benutzername' },
    { word: /aktivierungs-?token/iu, use: 'Aktivierungscode' },
  ],
  en: [
    { word: /activation tokens?/iu, use: 'activation code' },
    { word: /back to login(?!\p{L})/iu, use: 'Back to log in' },
  ],
};

/** English words no Dutch, French or German sentence contains (not "will", "of", "over": German or Dutch too). */
const ENGLISH_WORDS = /(?<!\p{L})(the|your|you|please|with|password|username|click|here|this|that|which|should|cannot|when|sign in|log in)(?!\p{L})/iu;

/** Numbers of units no sentence should give: "0 Stunden" for a TTL under an hour, "1 hours". */
const BAD_DURATION = /(?<![\d,.])(0 (hours?|uur|heures?|Stunden?|minutes?|minuten|minuut|Minuten?)|1 (hours|heures|Stunden|minutes|minuten|Minuten))(?!\p{L})/u;

const en = catalogue('en');
const keys = new Set(LOCALES.flatMap((l) => Object.keys(catalogue(l))));
const areas = new Set([...keys].map((k) => k.split('.')[0]!));

/** The English sentences a page may not contain: the parts between placeholders, of three words or more. */
function englishSentences(locale: Locale): string[] {
  const own = new Set(Object.values(catalogue(locale)).flatMap(messageTexts));
  return Object.values(en)
    .flatMap(messageTexts)
    .filter((text) => !own.has(text))
    .flatMap((text) => text.split(/\{\w+\}/))
    .map((part) => part.trim())
    .filter((part) => part.split(/\s+/).length >= 3);
}
const sentencesByLocale = new Map(LOCALES.map((l) => [l, englishSentences(l)]));

/** `text` as a reader of `locale` sees it; `where` names the page or mail in the messages. */
/**
 * `plain`: a text in the SMS alphabet's plain forms (provider/domain/messaging/sms-text.ts), whose spaces and
 * apostrophes are the ordinary ones by design; its words and register are checked all the same.
 */
export function languageProblems(locale: Locale, where: string, text: string, { plain = false } = {}): string[] {
  const problems: string[] = [];
  // A link's address is no text: a random token in it may hold "Tu" between two dashes.
  const visible = text.replace(/https?:\/\/\S+/g, ' ');
  for (const m of visible.matchAll(/(?<![\w@.-])([a-z][a-z_]*(?:\.[a-z_:]+)+)(?![\w@-])/g)) {
    // A host name the help names (eid.belgium.be, where the eID software is) has a key's shape, not a key's ending.
    if (/\.(?:be|eu|org|com|net)$/.test(m[1]!)) continue;
    if (keys.has(m[1]!) || areas.has(m[1]!.split('.')[0]!)) problems.push(`${where} (${locale}): catalogue key shown: ${m[1]}`);
  }
  const duration = BAD_DURATION.exec(visible);
  if (duration) problems.push(`${where} (${locale}): duration "${duration[0]}"`);
  problems.push(...otherWordProblems(locale, where, visible));
  if (locale === 'en') return problems;
  for (const sentence of sentencesByLocale.get(locale)!) if (visible.includes(sentence)) problems.push(`${where} (${locale}): English sentence "${sentence}"`);
  const word = ENGLISH_WORDS.exec(visible);
  if (word) problems.push(`${where} (${locale}): English word "${word[0]}" in "${around(visible, word.index)}"`);
  return [...problems, ...registerProblems(locale, where, visible, { plain })];
}

/** Where `text` names a thing with another word than the pages of `locale` use for it (English too). */
export function otherWordProblems(locale: Locale, where: string, text: string): string[] {
  return OTHER_WORD[locale].flatMap(({ word, use }) => {
    const other = word.exec(text);
    return other ? [`${where} (${locale}): "${other[0]}" where the pages say "${use}", in "${around(text, other.index)}"`] : [];
  });
}

/**
 * What a text of any origin (our catalogue, the card bridge's own pages) must keep to in `locale`: its register and,
 * its one apostrophe and, in French, the no-break space before : ; ? and !.
 */
export function registerProblems(locale: Exclude<Locale, 'en'>, where: string, text: string, { plain = false } = {}): string[] {
  const problems: string[] = [];
  const informal = INFORMAL[locale].exec(text);
  if (informal) problems.push(`${where} (${locale}): informal "${informal[0]}" in "${around(text, informal.index)}"`);
  if (plain) return problems;
  const space = locale === 'fr' ? FRENCH_SPACE.exec(text) : null;
  if (space) problems.push(`${where} (${locale}): an ordinary space before "${space[0].trim()}" in "${around(text, space.index)}"`);
  const apostrophe = APOSTROPHE[locale];
  const other = apostrophe?.other.exec(text);
  if (other) problems.push(`${where} (${locale}): the apostrophe in "${around(text, other.index)}", where this language writes ${apostrophe!.use}`);
  return problems;
}

const around = (text: string, at: number) => text.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, ' ');
