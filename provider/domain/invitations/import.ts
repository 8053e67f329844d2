// `idp invitations import FILE.csv`: one invitation per person (given name, family name, group, optional e-mail):
// a username made from the names and a random initial password, stored only as an argon2id hash. The passwords
// exist in clear only in what this returns, for the printed sheet of slips.
import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Knex } from 'knex';
import type { PasswordHasher } from '../accounts/passwords.ts';
import { emailAddressSchema } from '../../platform/web/email-address.ts';
import { audit } from '../../platform/audit.ts';
import { generateUsername, nameKey } from '../accounts/usernames.ts';
import type { Column } from '../imports/csv.ts';
import { importFile, type ImportReport } from '../imports/report.ts';

const COLUMNS: Column[] = [
  { key: 'givenName', names: ['given name', 'given_name', 'first name', 'firstname', 'vorname', 'voornaam', 'prénom', 'prenom'], required: true },
  {
    key: 'familyName',
    names: ['family name', 'family_name', 'last name', 'lastname', 'surname', 'nachname', 'familienname', 'achternaam', 'nom de famille', 'nom'],
    required: true,
  },
  { key: 'group', names: ['group', 'class', 'klasse', 'gruppe', 'klas', 'groep', 'classe', 'groupe'], required: true },
  { key: 'email', names: ['email', 'e-mail', 'mail', 'e-mail-adresse', 'courriel'], required: false },
];

const row = z.object({
  givenName: z.string().min(1, 'the given name is empty').max(100, 'the given name is longer than 100 characters'),
  familyName: z.string().min(1, 'the family name is empty').max(100, 'the family name is longer than 100 characters'),
  group: z.string().min(1, 'the group is empty').max(50, 'the group is longer than 50 characters'),
  email: z.union([z.literal(''), emailAddressSchema('the e-mail address is not valid')]),
});

// Lower case and digits without look-alikes (no i, l, o, 0, 1): the seed's pupils copy them from paper.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** 12 characters in groups of four: "k7mq-x3fd-9pwa". */
export function initialPassword(): string {
  const chars = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** What a person types for an initial password: case, spaces and dashes do not matter. */
export const normaliseInitialPassword = (typed: string) => typed.toLowerCase().replace(/[\s-]/g, '');

export interface IssuedInvitation {
  id: string;
  line: number;
  username: string;
  initialPassword: string;
  givenName: string;
  familyName: string;
  group: string;
  email: string | null;
}

const personKey = (given: string, family: string, group: string | null) => [given, family, group ?? ''].map(nameKey).join('|');

export async function importInvitations(
  deps: { db: Knex; hasher: PasswordHasher },
  text: string,
  o: { partial: boolean },
): Promise<ImportReport<IssuedInvitation>> {
  const { db, hasher } = deps;
  const invited = new Map<string, string>(
    (await db('invitations').whereNot({ status: 'rejected' }).select('given_name', 'family_name', 'group_name', 'username')).map((i) => [
      personKey(i.given_name, i.family_name, i.group_name),
      i.username as string,
    ]),
  );

  async function store(good: (z.output<typeof row> & { line: number })[], skipped: number[]): Promise<IssuedInvitation[]> {
    const issued: IssuedInvitation[] = [];
    const reserved = new Set<string>();
    for (const r of good) {
      const username = await generateUsername(db, r.givenName, r.familyName, reserved);
      reserved.add(username);
      issued.push({
        id: randomUUID(),
        line: r.line,
        username,
        initialPassword: initialPassword(),
        givenName: r.givenName,
        familyName: r.familyName,
        group: r.group,
        email: r.email || null,
      });
    }
    const hashes = await Promise.all(issued.map((i) => hasher.hash(normaliseInitialPassword(i.initialPassword))));
    const now = new Date();
    // The passwords are hashed before: the transaction is not held open for them.
    await db.transaction(async (trx) => {
      await trx('invitations').insert(
        issued.map((i, n) => ({
          id: i.id,
          username: i.username,
          initial_password_hash: hashes[n],
          given_name: i.givenName,
          family_name: i.familyName,
          group_name: i.group,
          email: i.email,
          status: 'issued',
          created_at: now,
          updated_at: now,
        })),
      );
      await audit(trx, 'invitations.imported', { details: { count: issued.length, skipped } });
    });
    return issued;
  }

  const spec = {
    columns: COLUMNS,
    row,
    key: (r: z.output<typeof row>) => personKey(r.givenName, r.familyName, r.group),
    duplicate: (_r: unknown, first: number) => `the same person as line ${first}`,
    conflict: (_r: unknown, key: string) => (invited.has(key) ? `already invited as ${invited.get(key)}` : undefined),
    store,
  };
  return importFile(text, spec, o.partial);
}
