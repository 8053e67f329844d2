// Errors a user or an operator can act on: a stable `code` for programs and tests, an HTTP status,
// and a message key that the pages translate. Never a stack trace on a page.
export type ErrorParams = Record<string, string | number | { seconds: number }>;

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  /** Values the localised message interpolates, e.g. { tries: 2 }; a `{ seconds }` is a duration, written out. */
  readonly params: ErrorParams;

  constructor(code: string, message: string, status = 400, params: ErrorParams = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.params = params;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Settings that cannot be read or cannot work together: the process refuses to start and names every problem. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
