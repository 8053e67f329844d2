// Staff pages that show people's data record each showing (GDPR accountability: who looked at whose data, when, from
// where, through which filter). One record per page shown, never one per person listed: under the person when the page
// is about one person, else under the staff member, with what was shown and how it was asked for. What staff typed to
// find someone is kept as typed, except a national number: the provider holds one only as its keyed hash, so a
// record, and the log line every audit event also makes, holds only that hash (under a name the log redacts).
import type { Context } from 'koa';
import type { Knex } from 'knex';
import type { User } from '../../domain/accounts/repository.ts';
import { audit } from '../../platform/audit.ts';
import { nationalNumberHmac } from '../../eid/index.ts';

export const VIEWS = {
  person: 'admin.person_viewed',
  factorRemoval: 'admin.factor_removal_viewed',
  search: 'admin.search_viewed',
  audit: 'admin.audit_viewed',
  members: 'admin.members_viewed',
  queue: 'admin.queue_viewed',
} as const;

/** Looks at one person, which the recent events on that person's page leave out: they would crowd out what happened. */
export const PERSON_VIEWS: readonly string[] = [VIEWS.person, VIEWS.factorRemoval];

/**
 * Staff's looks at lists, which the audit trail leaves out unless its event filter is used: each showing of the trail
 * would otherwise put itself at the top of the next. The recent events on a staff member's page leave them out too.
 */
export const LIST_VIEWS: readonly string[] = [VIEWS.search, VIEWS.audit, VIEWS.members, VIEWS.queue];

type View = (typeof VIEWS)[keyof typeof VIEWS];

/** A view record: under `subject`, with the staff member as `by`, or, for a list, under the staff member. */
export async function recordView(db: Knex, ctx: Context, event: View, details: Record<string, unknown> = {}, subject?: string): Promise<void> {
  const staffId = (ctx.state.user as User).id;
  await audit(db, event, subject ? { userId: subject, ip: ctx.ip, details: { by: staffId, ...details } } : { userId: staffId, ip: ctx.ip, details });
}

/**
 * The same record for a look from the command line (`idp users show|export|list`): its operator has no account, so
 * the record names the command line instead, under the person or, for a listing, under nobody.
 */
export async function recordCliView(db: Knex, event: View, details: Record<string, unknown>, subject?: string): Promise<void> {
  await audit(db, event, { userId: subject, details: { via: 'cli', ...details } });
}

/**
 * Eleven digits, of any script (full-width ones come from a Japanese or Chinese keyboard), with whatever but a letter
 * written between them: the dots, dashes and spaces a national number is written with, and any other.
 */
const NATIONAL_NUMBER = /\p{Nd}(?:[^\p{L}\p{Nd}]*\p{Nd}){10}/u;

/** A digit of any script as its ASCII one: Unicode keeps each script's ten digits in a run from zero to nine. */
function asciiDigit(digit: string): string {
  let [at, value] = [digit.codePointAt(0)!, 0];
  while (/\p{Nd}/u.test(String.fromCodePoint(at - 1))) [at, value] = [at - 1, value + 1];
  return String(value % 10);
}

/** What staff searched by, for a record: the text's kind, never the number itself. */
const queryKind = (text: string): 'national_number' | 'email' | 'text' =>
  NATIONAL_NUMBER.test(text) ? 'national_number' : text.includes('@') ? 'email' : 'text';

/**
 * What staff typed to find someone, as a record may keep it: as typed, or, holding a national number, its HMAC alone,
 * the same however it was written.
 */
export function keptText(text: string, nationalNumberKey: string): string | { national_number_hmac: string } {
  const number = NATIONAL_NUMBER.exec(text)?.[0];
  return number ? { national_number_hmac: nationalNumberHmac(number.replace(/\P{Nd}/gu, '').replace(/\p{Nd}/gu, asciiDigit), nationalNumberKey) } : text;
}

/** A search's record, on the staff pages and the command line alike: the text's kind, the text as kept, what it found. */
export const searchDetails = (text: string, nationalNumberKey: string, results: number) => ({
  kind: queryKind(text),
  q: keptText(text, nationalNumberKey),
  results,
});
