// Customer sign-up: a customer number and the family or company name on record.
import { formError } from '../../platform/web/form-errors.ts';
import Router from '@koa/router';
import { addressOf, type RegistrationSteps } from './steps.ts';
import { findCustomer } from '../../domain/customers/customers.ts';
import { schemas } from './forms.ts';

export function customerSignUpRoutes(router: Router, steps: RegistrationSteps): void {
  const { db, service, limits, take, signUpOf, complete, signUpForm } = steps;
  signUpForm(router, 'customer', schemas.customer, async (ctx, flow, d, reshow) => {
    // Counted before the lookup: past the limit no guess is looked up, so that a match cannot be told from a miss. A
    // match gives its point back: the limit counts the numbers and names that matched nothing.
    await take(limits.customer, addressOf(ctx));
    const customer = await findCustomer(db, d.customer_number, d.name);
    if (!customer) return reshow(formError('customer_number', 'registration.error.customer_no_match'));
    await limits.customer.reward(addressOf(ctx), 1);
    const s = await signUpOf(ctx, flow, d);
    await complete(ctx, flow, `customer:${customer.customer_number}`, { email: s.email }, (trx) => service.signUpCustomer(trx, customer, s));
  });
}
