// The registration's errors, each with a stable code; the pages show error.<code> from registration.json.
import { AppError } from '../../platform/errors.ts';

export const registrationErrors = {
  modeDisabled: () => new AppError('registration_disabled', 'This way of signing up is not offered here', 404),
  /** Staff: an invitation that is not in the state the action needs (e.g. approving one not waiting for review). */
  invitationState: (status: string) => new AppError('invitation_state', `The registration is ${status}, not waiting for review`, 409, { status }),
  invitationUnknown: (id: string) => new AppError('invitation_unknown', `No invitation ${id}`, 404, { id }),
  usernameInvalid: (username: string) =>
    new AppError('username_invalid', `"${username}" is not a valid username: 2–64 lower-case letters, digits, dots, dashes or underscores`, 400, { username }),
  usernameTaken: (username: string) => new AppError('username_taken', `The username ${username} is already taken`, 409, { username }),
  /** Staff: renaming is only possible before the person registered. */
  usernameFixed: (username: string) => new AppError('username_fixed', `${username} has registered: the username can no longer change`, 409, { username }),
  userUnknown: () => new AppError('user_unknown', 'No such account', 404),
  selfBlock: () => new AppError('self_block', 'You cannot block your own account', 400),
};
