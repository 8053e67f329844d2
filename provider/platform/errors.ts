// Errors a user or an operator can act on: a stable `code` for programs and tests, an HTTP status, and a catalogue
// `key` (typed: it must exist) with its `params`. Pages render the key in the person's language; the `message` is
// the same text in English, for the `idp` command, the JSON APIs and the log. Never a stack trace on a page.
import { translate, type MessageParams } from './web/i18n.ts';
import type { MessageKey } from './web/message-key.ts';

export type { MessageKey };
export type ErrorParams = MessageParams;

export class AppError extends Error {
  readonly code: string;
  readonly key: MessageKey;
  readonly status: number;
  /** Values the localised message interpolates, e.g. { tries: 2 }; a `{ seconds }` is a duration, written out. */
  readonly params: ErrorParams;

  constructor(code: string, key: MessageKey, status = 400, params: ErrorParams = {}) {
    super(translate('en', key, params));
    this.name = 'AppError';
    this.code = code;
    this.key = key;
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
