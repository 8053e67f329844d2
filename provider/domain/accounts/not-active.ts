// Why an account that proved its password (or passkey) cannot log in, as the catalogue key of what to tell its holder.
// Said only after the proof, so it tells nothing to someone who guesses names.
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import { findLinkOfUser } from './eid-links.ts';

export async function notActiveMessage(db: Knex, user: Pick<User, 'id' | 'status'>): Promise<string> {
  if (user.status === 'pending') return 'registration.login.not_activated';
  if (user.status === 'locked') return 'reactivation.login_locked';
  // The eID reactivation finds an account by its linked card: without one (a pupil, an account made by staff), the
  // card cannot help, and the person is sent where they can be helped.
  return (await findLinkOfUser(db, user.id)) ? 'reactivation.login_blocked' : 'reactivation.login_blocked_no_card';
}
