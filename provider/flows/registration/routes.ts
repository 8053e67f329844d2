// The sign-up pages: the choice of mode here, each mode in its own module (open, customer, invitation, eid) and the
// activation in links.ts, all on the steps they share (steps.ts). Each form belongs to a stored flow (its id in a
// hidden field) that moves from 'form' to 'sent' in the transaction creating the account, so a double submission
// does the work once and both answers show the same "check your mail" page.
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Services } from '../../app/services.ts';
import { reloadedAt, renderPage, safeReturnPath } from '../../platform/web/page.ts';
import { registrationErrors } from './errors.ts';
import type { CardStep } from '../../methods/eid-card/card-step.ts';
import type { Captcha } from '../../domain/guards/captcha.ts';

import { createRegistrationSteps } from './steps.ts';
import { openSignUpRoutes } from './open.ts';
import { customerSignUpRoutes } from './customer.ts';
import { invitationSignUpRoutes } from './invitation.ts';
import { eidSignUpRoutes } from './eid.ts';
import { activationRoutes } from './links.ts';
import { portalOf } from '../../oidc/portal.ts';

export function registrationRoutes(services: Services, captcha: Captcha, cards: CardStep): Router {
  const steps = createRegistrationSteps(services, captcha, cards);
  const { modes } = steps;
  const router = createRouter();
  // Under the flow's own paths: a router's `use` without a path runs for every page route mounted after it.
  router.use('/registration', reloadedAt());

  router.get('/registration', (ctx) => {
    if (!modes.length) throw registrationErrors.modeDisabled();
    const query = typeof ctx.query.return_to === 'string' ? `?${new URLSearchParams({ return_to: safeReturnPath(ctx.query.return_to) })}` : '';
    // A portal offers its own modes (of those enabled); one naming none that is enabled offers them all.
    const wanted = portalOf(ctx, services.config).registrationModes;
    const offered = wanted && modes.some((m) => wanted.includes(m)) ? modes.filter((m) => wanted.includes(m)) : modes;
    if (offered.length === 1) return ctx.redirect(`/registration/${offered[0]}${query}`);
    renderPage(ctx, 'pages/registration/choose.njk', {
      titleKey: 'registration.choose.title',
      modes: offered,
      query,
      back: safeReturnPath(ctx.query.return_to, '/account'),
    });
  });

  for (const mount of [openSignUpRoutes, customerSignUpRoutes, invitationSignUpRoutes, eidSignUpRoutes, activationRoutes]) mount(router, steps);
  return router;
}
