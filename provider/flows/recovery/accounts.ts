// Which accounts a recovery request names: every active account with that address (several when UNIQUE_EMAIL=false),
// or, in customer-number deployments, the account of that customer number if it has that address.
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { normaliseCustomerNumber } from '../../domain/customers/customers.ts';

/** Customer-number deployments (REGISTRATION_MODES with `customer`): the form asks for the customer number too. */
export const asksCustomerNumber = (config: Config) => config.registrationModes.includes('customer');

export async function accountsToRecover(db: Knex, email: string, customerNumber?: string): Promise<User[]> {
  const q = db('users').select('users.*').whereRaw('lower(users.email) = ?', [email.toLowerCase()]).where('users.status', 'active').orderBy('users.created_at');
  if (customerNumber !== undefined)
    q.join('customers', 'customers.user_id', 'users.id').where('customers.customer_number', normaliseCustomerNumber(customerNumber));
  return q;
}
