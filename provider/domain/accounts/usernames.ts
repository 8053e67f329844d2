// Usernames made from a person's names, as a school office hands them out: "given.family" in lower-case ASCII,
// letters beyond ASCII transliterated the way the person would write them without them (Müller → mueller,
// François → francois), and a number appended when the name is taken (max.mueller, max.mueller2, …).
import type { Knex } from 'knex';

// Letters that a person transliterates to something else than the letter without its accent. The rest
// (é, ç, ñ, …) lose their accent through Unicode decomposition.
const TRANSLITERATIONS: Record<string, string> = {
  ä: 'ae',
  ö: 'oe',
  ü: 'ue',
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  å: 'a',
  þ: 'th',
  ð: 'd',
  đ: 'd',
  ł: 'l',
  ı: 'i',
  ŀ: 'l',
  ĳ: 'ij',
};

const MAX_PART = 30;
const MAX_USERNAME = 64;
/** What `idp users create` and the admin pages accept as a username. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** Lower-case ASCII: transliterated, accents dropped, anything else removed. */
export function transliterate(text: string): string {
  const lower = text.toLowerCase();
  let out = '';
  for (const ch of lower) out += TRANSLITERATIONS[ch] ?? ch;
  return out.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/** One name as a username part: words joined by "-" (Anna Lena → anna-lena, van der Berg → van-der-berg). */
function part(name: string): string {
  return transliterate(name)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_PART)
    .replace(/-+$/, '');
}

/** The username before any collision number: "given.family", or one of them, or "user" when nothing is left. */
export function usernameBase(givenName: string, familyName: string): string {
  return [part(givenName), part(familyName)].filter(Boolean).join('.') || 'user';
}

/** Names compared as a person means them: case, accents, punctuation and spacing do not count. */
export function nameKey(name: string): string {
  return transliterate(name)
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** `base`, or base2, base3, … — the first not in `taken` (lower-case). */
export function firstFree(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base.slice(0, MAX_USERNAME - String(n).length)}${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Usernames in use, by accounts or by issued invitations, that start with `base` (lower-case). */
export async function takenUsernames(db: Knex, base: string): Promise<Set<string>> {
  const like = `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .select(db.raw('lower(username) as u'))
    .from('users')
    .whereRaw('lower(username) like ?', [like])
    .union((q) => q.select(db.raw('lower(username) as u')).from('invitations').whereRaw('lower(username) like ?', [like]));
  return new Set(rows.map((r: { u: string }) => r.u));
}

/** A free username for these names; `reserved` holds names already handed out in the same batch. */
export async function generateUsername(db: Knex, givenName: string, familyName: string, reserved: ReadonlySet<string> = new Set()): Promise<string> {
  const base = usernameBase(givenName, familyName);
  const taken = await takenUsernames(db, base);
  for (const r of reserved) taken.add(r);
  return firstFree(base, taken);
}

/** True when no account and no invitation holds `username` (case-insensitively). */
export async function usernameFree(db: Knex, username: string): Promise<boolean> {
  const u = username.toLowerCase();
  const [a, b] = await Promise.all([
    db('users').whereRaw('lower(username) = ?', [u]).first('id'),
    db('invitations').whereRaw('lower(username) = ?', [u]).first('id'),
  ]);
  return !a && !b;
}
