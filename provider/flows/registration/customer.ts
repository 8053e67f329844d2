// Customer sign-up: a customer number and the family or company name on record.
import { formError } from '../../platform/web/form-errors.ts';
import Router from '@koa/router';
import { type RegistrationSteps } from './steps.ts';
import { findCustomer } from '../../domain/customers/customers.ts';
import { schemas } from './forms.ts';

export function customerSignUpRoutes(router: Router, steps: RegistrationSteps): void {
  const { db, service, limits, take, signUpOf, complete, signUpForm } = steps;
  signUpForm(router, 'customer', schemas.customer, async (ctx, flow, d, reshow) => {
    const customer = await findCustomer(db, d.customer_number, d.name);
    if (!customer) {
      await take(limits.customer, ctx.ip);
      return reshow(formError('customer_number', 'registration.error.customer_no_match'));
    }
    const s = await signUpOf(ctx, d);
    await complete(ctx, flow, `customer:${customer.customer_number}`, { email: s.email }, (trx) => service.signUpCustomer(trx, customer, s));
  });
}
