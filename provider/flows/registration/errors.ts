// The registration's errors, each with a stable code and its message error.<code> (core.json).
import { AppError } from '../../platform/errors.ts';

export const registrationErrors = {
  modeDisabled: () => new AppError('registration_disabled', 'error.registration_disabled', 404),
  /** Staff: an invitation that is not in the state the action needs (e.g. approving one not waiting for review). */
  invitationState: (status: string) => new AppError('invitation_state', 'error.invitation_state', 409, { status }),
  /** Staff: the invitation changed (another reviewer) between reading it and acting on it. */
  invitationMoved: () => new AppError('invitation_state', 'error.invitation_moved', 409),
  invitationUnknown: (id: string) => new AppError('invitation_unknown', 'error.invitation_unknown', 404, { id }),
  usernameInvalid: (username: string) => new AppError('username_invalid', 'error.username_invalid', 400, { username }),
  usernameTaken: (username: string) => new AppError('username_taken', 'error.username_taken', 409, { username }),
  /** Staff: renaming is only possible before the person registered. */
  usernameFixed: (username: string) => new AppError('username_fixed', 'error.username_fixed', 409, { username }),
  userUnknown: () => new AppError('user_unknown', 'error.user_unknown', 404),
  selfBlock: () => new AppError('self_block', 'error.self_block', 400),
};
