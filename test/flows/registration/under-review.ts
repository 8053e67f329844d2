// An invitation's sign-up whose names were corrected, as the invitation step stores it: waiting for staff's review.
import type { Knex } from 'knex';

/** Puts the imported invitation `username` under review, as signed up by `email` with the names `corrected`. */
export async function putUnderReview(db: Knex, username: string, email: string, corrected: { given: string; family: string }): Promise<void> {
  await db('invitations')
    .where({ username })
    .update({
      status: 'pending_review',
      corrected_given_name: corrected.given,
      corrected_family_name: corrected.family,
      pending_registration: JSON.stringify({
        email,
        passwordHash: 'x',
        locale: 'en',
        termsVersion: '1',
        privacyVersion: '1',
        acceptedAt: new Date().toISOString(),
      }),
    });
}
