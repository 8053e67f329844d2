// What an SMS costs depends on its characters: 160 to a part in the GSM 03.38 alphabet, 70 as soon as one character
// is outside it, when the whole text goes as UCS-2. The catalogues write French with no-break spaces and its
// apostrophe, and dates come out of Intl with narrow no-break spaces: in an SMS, their plain forms read the same.
const PLAIN: Readonly<Record<string, string>> = {
  '\u00a0': ' ',
  '\u202f': ' ',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
};
const TYPOGRAPHIC = new RegExp(`[${Object.keys(PLAIN).join('')}]`, 'g');

/** `text` with typographic spaces, quotes, dashes and the ellipsis in their plain forms. */
export const smsPlain = (text: string): string => text.replace(TYPOGRAPHIC, (c) => PLAIN[c]!);

// GSM 03.38's basic set and the extension table's characters (two septets each, still within the alphabet).
const ALPHABET = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€',
);

/** Whether `text` goes as GSM 03.38, 160 characters to a part, rather than as UCS-2, 70. */
export const inSmsAlphabet = (text: string): boolean => [...text].every((c) => ALPHABET.has(c));
