// One structured JSON log, through pino: a line per event, each line of a request carrying its request id, an access
// line per request, and the security events. Callers never pass secrets, and `redact.ts` makes sure of it: what a
// line says about a person is shortened (addresses, IPs) or pseudonymous (accounts) before it is written.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createRedactor } from './log/redact.ts';

type Fields = Record<string, unknown> | Error | undefined;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const requests = new AsyncLocalStorage<{ id: string; address?: () => string }>();
// Until `configureLog` gives the deployment's key, pseudonyms are this process's own.
let redactor = createRedactor(randomBytes(32).toString('hex'));

// Through process.stdout/stderr.write, not their file descriptors: whoever captures those streams sees every line.
let below = (line: string) => process.stdout.write(line);
const logger = pino(
  {
    level: 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const request = requests.getStore();
      return request ? { reqId: request.id } : {};
    },
  },
  pino.multistream(
    [
      { level: 'debug', stream: { write: (line: string) => below(line) } },
      { level: 'warn', stream: { write: (line: string) => process.stderr.write(line) } },
    ],
    { dedupe: true },
  ),
);

function redacted(fields: Fields): Record<string, unknown> {
  if (fields === undefined) return {};
  if (fields instanceof Error) return redactor.fields({ error: fields.message, code: (fields as { code?: unknown }).code, stack: fields.stack });
  return redactor.fields(fields);
}

// A line below the level is not written, so its fields are not redacted either: the access line of every request
// would otherwise cost its redaction under LOG_LEVEL=warn.
function write(level: Exclude<LogLevel, 'silent'>, msg: string, fields: Fields): void {
  if (logger.isLevelEnabled(level)) logger[level](redacted(fields), msg);
}

export const log = {
  /** Settable, so that a test can read every line a provider would write. */
  get level(): LogLevel {
    return logger.level as LogLevel;
  },
  set level(level: LogLevel) {
    logger.level = level;
  },
  debug: (msg: string, fields?: Fields) => write('debug', msg, fields),
  info: (msg: string, fields?: Fields) => write('info', msg, fields),
  warn: (msg: string, fields?: Fields) => write('warn', msg, fields),
  error: (msg: string, fields?: Fields) => write('error', msg, fields),
  /** Whether a line at `level` would be written: lets a caller skip gathering what it would say. */
  enabled: (level: Exclude<LogLevel, 'silent'>) => logger.isLevelEnabled(level),
};

/** At start, from the settings: LOG_LEVEL, and the key that makes account pseudonyms stable across processes. */
export function configureLog(o: { level: LogLevel; key: string }): void {
  logger.level = o.level;
  redactor = createRedactor(o.key);
}

/** Every line on stderr: an `idp` command's stdout is its answer (a client secret, JSON), which a security event it
 *  logs must not break. */
export function logToStderr(): void {
  below = (line) => process.stderr.write(line);
}

/** Runs `work` as one request: every line logged inside it carries `id`; `address` gives the client's, when asked. */
export const inRequest = <T>(id: string, work: () => T, address?: () => string): T => requests.run({ id, address }, work);

/** The client address of the request being served, if any: where an audit row was not told one, it still says where from. */
export const requestAddress = (): string | undefined => requests.getStore()?.address?.() || undefined;
