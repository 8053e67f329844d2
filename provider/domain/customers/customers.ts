// Customer records imported by staff, and the match a customer-number sign-up must make: the number, and the
// family or company name as the record has it (case, accents, punctuation and spacing do not count).
import type { Knex } from 'knex';
import { z } from 'zod';
import { audit } from '../../platform/audit.ts';
import { nameKey } from '../accounts/usernames.ts';
import type { Column } from '../imports/csv.ts';
import { importFile, type ImportReport } from '../imports/report.ts';

export interface Customer {
  customer_number: string;
  name: string;
  name_key: string;
  user_id: string | null;
  imported_at: Date;
}

/** As printed on an invoice, typed with or without spaces, dots or dashes, in any case. */
export const normaliseCustomerNumber = (typed: string) => typed.toUpperCase().replace(/[\s.\-/]/g, '');

export async function findCustomer(db: Knex, customerNumber: string, name: string): Promise<Customer | undefined> {
  const row = (await db('customers')
    .where({ customer_number: normaliseCustomerNumber(customerNumber) })
    .first()) as Customer | undefined;
  return row && row.name_key === nameKey(name) ? row : undefined;
}

/** The customer number each of these accounts holds; an account missing from the map is no customer's. */
export async function customerNumbersOf(db: Knex, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db<{ user_id: string; customer_number: string }>('customers').whereIn('user_id', userIds).select('user_id', 'customer_number');
  return new Map(rows.map((r) => [r.user_id, r.customer_number]));
}

/** The account a customer number was linked to at sign-up, as typed on an invoice. */
export async function accountOfCustomerNumber(db: Knex, typed: string): Promise<string | undefined> {
  const number = normaliseCustomerNumber(typed);
  if (!number) return undefined;
  const row = await db<{ customer_number: string; user_id: string }>('customers').where({ customer_number: number }).whereNotNull('user_id').first('user_id');
  return row?.user_id;
}

export async function linkCustomer(db: Knex, customerNumber: string, userId: string): Promise<void> {
  await db('customers').where({ customer_number: customerNumber }).update({ user_id: userId });
}

const COLUMNS: Column[] = [
  {
    key: 'customerNumber',
    names: ['customer number', 'customer_number', 'customer no', 'kundennummer', 'klantnummer', 'numéro de client', 'numero client', 'n° client'],
    required: true,
  },
  {
    key: 'name',
    names: ['name', 'family or company name', 'nachname/firmenname', 'nachname', 'firmenname', 'firma', 'naam', 'nom', 'company', 'family name'],
    required: true,
  },
];

const row = z.object({
  customerNumber: z
    .string()
    .transform(normaliseCustomerNumber)
    .pipe(
      z
        .string()
        .min(1, { message: 'the customer number is empty', abort: true })
        .max(40, 'the customer number is longer than 40 characters')
        .regex(/^[A-Z0-9]+$/, 'the customer number may hold only letters and digits'),
    ),
  name: z.string().min(1, 'the name is empty').max(200, 'the name is longer than 200 characters'),
});

export interface ImportedCustomer {
  line: number;
  customerNumber: string;
  name: string;
  change: 'new' | 'renamed' | 'unchanged';
}

/** `idp customers import FILE.csv`: new numbers are added, known ones take the file's name. */
export async function importCustomers(db: Knex, text: string, o: { partial: boolean }): Promise<ImportReport<ImportedCustomer>> {
  const store = (good: (z.output<typeof row> & { line: number })[], skipped: number[]) =>
    db.transaction(async (trx) => {
      const known = new Map<string, string>(
        (
          await trx('customers')
            .whereIn(
              'customer_number',
              good.map((g) => g.customerNumber),
            )
            .select('customer_number', 'name')
        ).map((c) => [c.customer_number, c.name]),
      );
      const now = new Date();
      const out: ImportedCustomer[] = [];
      for (const g of good) {
        const before = known.get(g.customerNumber);
        const change = before === undefined ? 'new' : before === g.name ? 'unchanged' : 'renamed';
        if (change === 'new') await trx('customers').insert({ customer_number: g.customerNumber, name: g.name, name_key: nameKey(g.name), imported_at: now });
        else if (change === 'renamed')
          await trx('customers')
            .where({ customer_number: g.customerNumber })
            .update({ name: g.name, name_key: nameKey(g.name), imported_at: now });
        out.push({ line: g.line, customerNumber: g.customerNumber, name: g.name, change });
      }
      await audit(trx, 'customers.imported', { details: { count: out.length, skipped } });
      return out;
    });
  const spec = {
    columns: COLUMNS,
    row,
    key: (r: z.output<typeof row>) => r.customerNumber,
    duplicate: (r: z.output<typeof row>, first: number) => `customer number ${r.customerNumber} is already on line ${first}`,
    store,
  };
  return importFile(text, spec, o.partial);
}
