// The staff's review of invitation sign-ups whose names were corrected: the queue, approval (with the username the
// corrected names give, or one staff choose), rejection, and renaming an invitation before it is used.
import type { Services } from '../../app/services.ts';
import { generateUsername, usernameBase, usernameFree, USERNAME_PATTERN } from '../../domain/accounts/usernames.ts';
import { invitations, type Invitation } from '../../domain/invitations/repository.ts';
import { enqueueMail } from '../../domain/messaging/outbox.ts';
import { isLocale } from '../../platform/web/i18n.ts';
import { actedBy, audit } from '../../platform/audit.ts';
import { registrationErrors } from './errors.ts';
import type { SignUp } from './service.ts';
import type { SignUpAccounts } from './accounts.ts';

export function createReview(services: Pick<Services, 'config' | 'db' | 'users' | 'hasher' | 'tokens'>, { pendingAccount, finish }: SignUpAccounts) {
  const { config, db, users } = services;
  return {
    /** The approval queue. */
    async queue() {
      return Promise.all((await invitations.pendingReview(db)).map(async (i) => ({ ...i, suggestedUsername: await suggestUsername(i) })));
    },

    /**
     * Approves corrected names: the invitation takes them, the username becomes `username` or, by default, one
     * derived from the corrected names (kept when they give the same one), and the person gets a mail saying
     * the registration is unlocked, with the username and the activation link.
     */
    async approve(id: string, o: { username?: string | undefined; reviewerId?: string | null; ip?: string | undefined } = {}): Promise<{ username: string }> {
      const invitation = await invitations.findById(db, id);
      if (!invitation) throw registrationErrors.invitationUnknown(id);
      if (invitation.status !== 'pending_review' || !invitation.pending_registration) throw registrationErrors.invitationState(invitation.status);
      const given = invitation.corrected_given_name ?? invitation.given_name;
      const family = invitation.corrected_family_name ?? invitation.family_name;
      const username = await chooseUsername(invitation, given, family, o.username);
      const p = invitation.pending_registration;
      const s: SignUp = {
        email: p.email,
        givenName: given,
        familyName: family,
        passwordHash: p.passwordHash,
        locale: isLocale(p.locale) ? p.locale : config.defaultLocale,
        acceptedAt: new Date(p.acceptedAt),
        ip: o.ip,
      };
      await db.transaction(async (trx) => {
        const moved = await invitations.update(trx, id, ['pending_review'], {
          status: 'registered',
          username,
          given_name: given,
          family_name: family,
          corrected_given_name: null,
          corrected_family_name: null,
          pending_registration: null,
          reviewed_by: o.reviewerId ?? null,
          reviewed_at: new Date(),
          review_reason: null,
        });
        if (!moved) throw registrationErrors.invitationMoved();
        const earlier = invitation.user_id ? await users.findById(trx, invitation.user_id) : undefined;
        const user = await pendingAccount(trx, earlier, s, username);
        await invitations.update(trx, id, ['registered'], { user_id: user.id });
        await finish(trx, user, s, 'invitation', [{ key: 'registration.mail.unlocked.body', params: { username } }], 'registration.mail.unlocked.subject');
        await audit(trx, 'registration.approved', {
          userId: user.id,
          ip: o.ip,
          details: { invitation: id, username, previous: invitation.username, ...actedBy(o.reviewerId) },
        });
      });
      return { username };
    },

    /** Refuses a registration: the invitation is closed (staff issue a new one if needed) and the person is told why. */
    async reject(id: string, o: { reason?: string | undefined; reviewerId?: string | null; ip?: string | undefined } = {}): Promise<void> {
      const invitation = await invitations.findById(db, id);
      if (!invitation) throw registrationErrors.invitationUnknown(id);
      if (invitation.status !== 'pending_review') throw registrationErrors.invitationState(invitation.status);
      const p = invitation.pending_registration;
      const reason = o.reason?.trim() || null;
      await db.transaction(async (trx) => {
        const moved = await invitations.update(trx, id, ['pending_review'], {
          status: 'rejected',
          pending_registration: null,
          reviewed_by: o.reviewerId ?? null,
          reviewed_at: new Date(),
          review_reason: reason,
        });
        if (!moved) throw registrationErrors.invitationMoved();
        if (p) {
          await enqueueMail(trx, {
            to: p.email,
            template: 'notice',
            locale: isLocale(p.locale) ? p.locale : config.defaultLocale,
            params: {
              title: { key: 'registration.mail.rejected.subject' },
              paragraphs: [
                { key: 'registration.mail.rejected.body', params: { username: invitation.username } },
                ...(reason ? [{ key: 'registration.mail.rejected.reason', params: { reason } }] : []),
                { key: 'registration.mail.rejected.next' },
              ],
            },
          });
        }
        await audit(trx, 'registration.rejected', {
          userId: invitation.user_id,
          ip: o.ip,
          details: { invitation: id, username: invitation.username, ...actedBy(o.reviewerId) },
        });
      });
    },

    /** Staff only, and only before the person registered: afterwards a username never changes. */
    async rename(username: string, next: string): Promise<void> {
      const invitation = await invitations.findByUsername(db, username);
      if (!invitation) throw registrationErrors.invitationUnknown(username);
      const wanted = next.trim().toLowerCase();
      if (!USERNAME_PATTERN.test(wanted)) throw registrationErrors.usernameInvalid(next);
      if (!(await usernameFree(db, wanted))) throw registrationErrors.usernameTaken(wanted);
      await db.transaction(async (trx) => {
        if (!(await invitations.update(trx, invitation.id, ['issued', 'pending_review'], { username: wanted })))
          throw registrationErrors.usernameFixed(invitation.username);
        await audit(trx, 'invitation.renamed', { details: { invitation: invitation.id, from: invitation.username, to: wanted } });
      });
    },
  };

  /** The username derived from corrected names, or the current one when they derive the same. */
  function suggestUsername(i: Invitation): Promise<string> | string {
    const given = i.corrected_given_name ?? i.given_name;
    const family = i.corrected_family_name ?? i.family_name;
    if (usernameBase(given, family) === usernameBase(i.given_name, i.family_name)) return i.username;
    return generateUsername(db, given, family);
  }

  async function chooseUsername(i: Invitation, given: string, family: string, wanted: string | undefined): Promise<string> {
    if (!wanted) return suggestUsername({ ...i, corrected_given_name: given, corrected_family_name: family });
    const u = wanted.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(u)) throw registrationErrors.usernameInvalid(wanted);
    if (u !== i.username.toLowerCase() && !(await usernameFree(db, u))) throw registrationErrors.usernameTaken(u);
    return u;
  }
}
