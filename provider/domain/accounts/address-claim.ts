// Giving an account an address that must be unique among accounts (UNIQUE_EMAIL): the database's unique key decides
// between two accounts claiming it at once.
import { AppError } from '../../platform/errors.ts';

/** A write that gives the account an address: another account holding it (the unique key) is a refusal, not a crash. */
export async function claimingAddress<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new AppError('email_taken', 'error.email_taken', 409);
    throw e;
  }
}
