// Errors a user or an operator can act on: a stable `code` for programs and tests, an HTTP status,
// and a message key that the pages translate. Never a stack trace on a page.
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Values the localised message interpolates, e.g. { tries: 2 }. */
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
