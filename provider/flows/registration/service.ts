// The registration in its three modes, and the staff's review. Each sign-up leaves a pending account (status
// 'pending', no claim on its address) and an activation mail, written in one transaction; a sign-up for an address
// that already has an account changes nothing and mails "you already have an account" instead, so the page's
// answer is the same either way.
import type { Knex } from 'knex';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { invitations, type Invitation } from '../../domain/invitations/repository.ts';
import { normaliseInitialPassword } from '../../domain/invitations/import.ts';
import { linkCustomer, type Customer } from '../../domain/customers/customers.ts';
import { type Locale } from '../../platform/web/i18n.ts';
import { audit } from '../../platform/audit.ts';
import { createActivation } from './activation.ts';
import { accountOfCard, recordConsent, saveLink } from '../../domain/accounts/eid-links.ts';
import { registrationErrors } from './errors.ts';
import { createSignUpAccounts } from './accounts.ts';
import { createReview } from './review.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import type { CameFrom } from '../done/came-from.ts';

export interface SignUp {
  email: string;
  givenName: string | null;
  familyName: string | null;
  passwordHash: string;
  locale: Locale;
  /** When the terms and the privacy policy (in the configured versions) were accepted. */
  acceptedAt: Date;
  ip?: string | undefined;
  /** The app's login the sign-up came from, kept with the activation link (flows/done/came-from.ts). */
  from?: CameFrom | undefined;
}

/**
 * What the person sees after sending the form: the same for a new and for a known address. `account`: the pending
 * account the sign-up wrote, for the browser to name when it signs up again (never shown).
 */
export type SignUpResult = { outcome: 'mailed' | 'review'; account?: string };

export type InvitationCheck =
  | { status: 'ok'; invitation: Invitation }
  | { status: 'invalid' }
  /** The initial password was right: safe to say what became of the registration. */
  | { status: 'active' | 'pending_review' | 'rejected'; invitation: Invitation };

const sameName = (a: string | null, b: string | null) => (a ?? '').trim().replace(/\s+/g, ' ') === (b ?? '').trim().replace(/\s+/g, ' ');

export function createRegistrationService(services: Pick<Services, 'config' | 'db' | 'users' | 'hasher' | 'tokens'>) {
  const { config, db, users, hasher } = services;
  const activation = createActivation(services);

  const accounts = createSignUpAccounts(services, activation);
  const { pendingAccount, finish, pendingRegistration } = accounts;

  return {
    activation,

    /**
     * Open sign-up. Again before activation, with the same address (from any browser) or with another one from
     * the browser of the earlier sign-up (`sameBrowser`, the account it named): the pending account takes the new
     * data and a new link, and the earlier link is void. Only accounts of open sign-ups (no username, no
     * customer) are replaced.
     */
    async signUpOpen(trx: Knex, s: SignUp, sameBrowser?: string): Promise<SignUpResult> {
      const holder = await users.holderOfAddress(trx, s.email);
      if (holder) {
        await activation.sendAccountExists(trx, holder, s);
        return { outcome: 'mailed' };
      }
      const byAddress = await users.findOpenPending(trx, { email: s.email });
      const byBrowser = isUuid(sameBrowser) ? await users.findOpenPending(trx, { id: sameBrowser }) : undefined;
      // Two pending accounts would be two people's: the one of the address stays, the browser's earlier one goes.
      if (byAddress && byBrowser && byAddress.id !== byBrowser.id) await users.deletePending(trx, [byBrowser.id]);
      const earlier = byAddress ?? byBrowser;
      const user = await pendingAccount(trx, earlier && (await users.findById(trx, earlier.id)), s, null);
      await finish(trx, user, s, 'open');
      return { outcome: 'mailed', account: user.id };
    },

    /**
     * Customer-number sign-up, after the number and name matched. One account per customer: again before
     * activation (with any address) replaces the pending one's address and link.
     */
    async signUpCustomer(trx: Knex, customer: Customer, s: SignUp): Promise<SignUpResult> {
      const linked = customer.user_id ? await users.findById(trx, customer.user_id) : undefined;
      if (linked && linked.status !== 'pending') {
        await activation.sendAccountExists(trx, linked, s, 'registration.mail.exists.customer');
        return { outcome: 'mailed' };
      }
      const holder = await users.holderOfAddress(trx, s.email);
      if (holder) {
        await activation.sendAccountExists(trx, holder, s);
        return { outcome: 'mailed' };
      }
      const user = await pendingAccount(trx, linked, { ...s, familyName: customer.name }, null);
      await linkCustomer(trx, customer.customer_number, user.id);
      await finish(trx, user, s, 'customer');
      return { outcome: 'mailed' };
    },

    /**
     * eID sign-up, after the card was read: the name is the card's, and the pending account is linked to the card
     * (the HMAC of the national number) with the holder's consent. Again before activation (any address) replaces
     * that pending account; a card whose account is active by now gets the "you already have an account" mail.
     */
    async signUpEid(trx: Knex, card: { hmac: string; cardNumber: string | undefined }, s: SignUp): Promise<SignUpResult> {
      const linked = await accountOfCard(trx, users, card.hmac);
      const existing = linked && linked.status !== 'pending' ? linked : await users.holderOfAddress(trx, s.email);
      if (existing) {
        await activation.sendAccountExists(trx, existing, s);
        return { outcome: 'mailed' };
      }
      const user = await pendingAccount(trx, linked, s, null);
      await saveLink(trx, { userId: user.id, hmac: card.hmac, cardNumber: card.cardNumber });
      await recordConsent(trx, { userId: user.id, purpose: 'registration' });
      await finish(trx, user, s, 'eid');
      return { outcome: 'mailed', account: user.id };
    },

    /** The first step of an invitation: username and initial password, the same answer for any wrong pair. */
    async checkInvitation(username: string, initialPassword: string): Promise<InvitationCheck> {
      const invitation = await invitations.findByUsername(db, username);
      if (!(await hasher.verify(invitation?.initial_password_hash, normaliseInitialPassword(initialPassword))) || !invitation) return { status: 'invalid' };
      if (invitation.status === 'pending_review' || invitation.status === 'rejected') return { status: invitation.status, invitation };
      const user = invitation.user_id ? await users.findById(db, invitation.user_id) : undefined;
      if (user && user.status !== 'pending') return { status: 'active', invitation };
      return { status: 'ok', invitation };
    },

    /**
     * The invitation's second step. Unchanged names: a pending account with the invitation's username. Corrected
     * names: the registration waits, locked, for staff to approve it (perhaps with a new username).
     */
    async completeInvitation(trx: Knex, invitation: Invitation, s: SignUp): Promise<SignUpResult> {
      const earlier = invitation.user_id ? await users.findById(trx, invitation.user_id) : undefined;
      if (!sameName(s.givenName, invitation.given_name) || !sameName(s.familyName, invitation.family_name)) {
        // An earlier registration's pending account (and its link) goes: nothing may be activated before the review.
        if (earlier?.status === 'pending') await users.deletePending(trx, [earlier.id]);
        const moved = await invitations.update(trx, invitation.id, ['issued', 'registered'], {
          status: 'pending_review',
          user_id: null,
          corrected_given_name: s.givenName,
          corrected_family_name: s.familyName,
          pending_registration: pendingRegistration(s),
          noticed_at: null,
        });
        if (!moved) throw registrationErrors.invitationState(invitation.status);
        await audit(trx, 'registration.review_requested', { userId: earlier?.id, ip: s.ip, details: { invitation: invitation.id } });
        return { outcome: 'review' };
      }
      const holder = config.uniqueEmail ? await users.holderOfAddress(trx, s.email) : undefined;
      if (holder) {
        await activation.sendAccountExists(trx, holder, s);
        return { outcome: 'mailed' };
      }
      const user = await pendingAccount(trx, earlier, s, invitation.username);
      await invitations.update(trx, invitation.id, ['issued', 'registered'], { status: 'registered', user_id: user.id });
      await finish(trx, user, s, 'invitation');
      return { outcome: 'mailed' };
    },

    ...createReview(services, accounts),

    /**
     * A new activation mail for a pending account named by address or username. Nothing is said about whether
     * one exists; an account that is not pending gets nothing.
     */
    async resend(identifier: string, ip?: string, from?: CameFrom): Promise<void> {
      const [user] = (await users.findByIdentifier(db, identifier, 'username_or_email')).filter((u) => u.status === 'pending' && u.email).reverse();
      if (!user) return;
      await db.transaction(async (trx) => {
        await activation.send(trx, user, undefined, undefined, from);
        await audit(trx, 'registration.activation_resent', { userId: user.id, ip });
      });
    },

    /** Staff: the same, for an account they name, with who asked. */
    async resendFor(user: User, reviewerId: string, ip?: string): Promise<boolean> {
      if (user.status !== 'pending' || !user.email) return false;
      await db.transaction(async (trx) => {
        await activation.send(trx, user);
        await audit(trx, 'admin.activation_resent', { userId: user.id, ip, details: { by: reviewerId } });
      });
      return true;
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
