// Invitation sign-up: the username and initial password from the slip, then the personal data.
import Router from '@koa/router';
import { addressOf, FLOW, FORM_TTL, type FlowData, type RegistrationSteps } from './steps.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import { bodyFields } from '../../platform/web/form.ts';
import { renderMessage, renderPage, safeReturnPath } from '../../platform/web/page.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { invitations } from '../../domain/invitations/repository.ts';
import { check, echo, fieldLimits, schemas } from './forms.ts';
import { formError, type FormErrors } from '../../platform/web/form-errors.ts';
import { createThrottle } from '../../domain/guards/throttle.ts';
import { captchaRefusal } from '../../domain/guards/captcha.ts';

export function invitationSignUpRoutes(router: Router, steps: RegistrationSteps): void {
  const { db, flows, service, policy, limits, enabled, take, loadFlow, sentPage, showForm, signUpOf, complete, services, captcha } = steps;
  const { config } = services;
  // A slip is a username and a password: guessed ones slow the next try, as at login, and never lock the pupil out
  // (the username is predictable, given.family, so a limit would let anyone block a pupil's sign-up).
  const slips = createThrottle(db, {
    name: 'invitation_slip',
    perSubject: config.rateLimitInvitation,
    perIp: config.rateLimitIp,
    maxDelaySeconds: config.rateLimitMaxDelay,
  });
  // Invitation: first the username and initial password from the slip, then the personal data.
  router.get('/registration/invitation', (ctx) => {
    enabled('invitation');
    renderPage(ctx, 'pages/registration/invitation.njk', {
      titleKey: 'registration.invitation.title',
      values: {},
      errors: {},
      limits: fieldLimits,
      captcha,
      backTo: typeof ctx.query.return_to === 'string' ? safeReturnPath(ctx.query.return_to) : undefined,
    });
  });

  router.post('/registration/invitation', async (ctx) => {
    enabled('invitation');
    const raw = await bodyFields(ctx);
    const show = (errors: FormErrors, status: number) => {
      ctx.status = status;
      renderPage(ctx, 'pages/registration/invitation.njk', {
        titleKey: 'registration.invitation.title',
        values: echo(raw),
        errors,
        limits: fieldLimits,
        captcha,
        backTo: echo(raw).return_to,
      });
    };
    const checked = check(schemas.invitationLogin, raw);
    if (!checked.ok) return show(checked.errors, 400);
    // Before the slip is counted or compared: guessing slips costs a script the proof of work each.
    const refusal = await captchaRefusal(captcha, raw);
    if (refusal) return show(refusal, 400);
    await take(limits.ip, addressOf(ctx));
    // The address counts wrong slips only: the pupils of a school type theirs from one address, and each slip counts
    // its own tries. A slip sent while another try of its username is checked was not tried, so it costs nothing:
    // else someone keeping a pupil's username busy would spend the school's allowance with her retries.
    const giveBack = () => limits.ip.reward(addressOf(ctx), 1);
    const { result: r } = await slips
      .guard(
        { subject: `username:${checked.data.username.toLowerCase()}`, ip: ctx.ip },
        () => service.checkInvitation(checked.data.username, checked.data.initial_password),
        (checkedSlip) => checkedSlip.status !== 'invalid',
      )
      .catch(async (e: unknown) => {
        if (isAppError(e) && e.code === 'try_again') await giveBack();
        throw e;
      });
    if (r.status === 'invalid') return show(formError('form', 'registration.error.invitation_invalid'), 401);
    await giveBack();
    if (r.status !== 'ok') {
      const params = { username: r.invitation.username, reason: r.invitation.review_reason ?? '' };
      return renderMessage(ctx, r.status === 'active' ? 200 : 409, `registration.invitation.${r.status}.title`, `registration.invitation.${r.status}.message`, {
        messageParams: params,
      });
    }
    const returnTo = typeof raw.return_to === 'string' ? safeReturnPath(raw.return_to) : undefined;
    const flow = await flows.create<FlowData>(db, {
      type: FLOW,
      state: 'form',
      binding: await services.flowStarts.forBrowser(ctx),
      data: { mode: 'invitation', invitationId: r.invitation.id, username: r.invitation.username, ...(returnTo ? { returnTo } : {}) },
      ttlSeconds: FORM_TTL,
    });
    ctx.status = 303;
    ctx.redirect(`/registration/invitation/details?flow=${flow.id}`);
  });

  async function invitationOf(flow: Flow<FlowData>) {
    const invitation = await invitations.findById(db, flow.data.invitationId ?? '');
    if (!invitation || !['issued', 'registered'].includes(invitation.status)) throw new AppError('flow_unknown', 'error.flow_unknown', 404);
    return invitation;
  }

  router.get('/registration/invitation/details', async (ctx) => {
    enabled('invitation');
    const flow = await loadFlow(ctx, ctx.query.flow, 'invitation');
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const invitation = await invitationOf(flow);
    const earlier = invitation.user_id ? await services.users.findById(db, invitation.user_id) : undefined;
    const values = { given_name: invitation.given_name, family_name: invitation.family_name, email: earlier?.email ?? invitation.email ?? '' };
    showForm(ctx, 'details', flow, { values, username: invitation.username, group: invitation.group_name });
  });

  router.post('/registration/invitation/details', async (ctx) => {
    enabled('invitation');
    const raw = await bodyFields(ctx);
    const flow = await loadFlow(ctx, raw.flow, 'invitation');
    if (flow.state !== 'form') return sentPage(ctx, flow);
    const invitation = await invitationOf(flow);
    const checked = check(schemas.invitationDetails, raw, policy, (d) => ({ username: invitation.username, email: d.email as string }));
    if (!checked.ok)
      return showForm(ctx, 'details', flow, { values: echo(raw), errors: checked.errors, username: invitation.username, group: invitation.group_name });
    const s = await signUpOf(ctx, flow, checked.data);
    await complete(ctx, flow, `invitation:${invitation.id}`, { email: s.email }, (trx) => service.completeInvitation(trx, invitation, s));
  });
}
