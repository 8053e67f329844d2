// Which accounts a recovery request names: every active account with that address (several when UNIQUE_EMAIL=false).
// A customer account is named only with its customer number, which tells apart the customers sharing an address;
// any other account needs none, so in a deployment mixing pupils or citizens with customers the number is optional
// and never decides anything for them. The answer is the same whichever kind the address belongs to.
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import { customerNumbersOf, normaliseCustomerNumber } from '../../domain/customers/customers.ts';

/** `required` where every account is a customer's (REGISTRATION_MODES=customer), `optional` where customers are some. */
export type CustomerNumberField = 'none' | 'optional' | 'required';

export function customerNumberField(config: Config): CustomerNumberField {
  if (!config.registrationModes.includes('customer')) return 'none';
  return config.registrationModes.every((m) => m === 'customer') ? 'required' : 'optional';
}

export async function accountsToRecover(db: Knex, users: UserRepository, field: CustomerNumberField, email: string, customerNumber?: string): Promise<User[]> {
  const active = (await users.findByIdentifier(db, email, 'email')).filter((u) => u.status === 'active');
  if (field === 'none') return active;
  const numbers = await customerNumbersOf(
    db,
    active.map((u) => u.id),
  );
  const typed = customerNumber ? normaliseCustomerNumber(customerNumber) : undefined;
  // Where every account is a customer's, one that holds no number is named by none.
  return active.filter((u) => numbers.get(u.id) === typed || (field === 'optional' && !numbers.has(u.id)));
}
