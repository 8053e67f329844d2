// One-line JSON logs on stdout/stderr. Callers never pass secrets (passwords, tokens, PINs, national numbers).
type Fields = Record<string, unknown> | Error | undefined;

function line(level: string, msg: string, fields: Fields) {
  const extra = fields instanceof Error ? { error: fields.message, code: (fields as { code?: unknown }).code, stack: fields.stack } : fields;
  return JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra });
}

export const log = {
  quiet: process.env.LOG_LEVEL === 'silent',
  info(msg: string, fields?: Fields) {
    if (!this.quiet) process.stdout.write(line('info', msg, fields) + '\n');
  },
  warn(msg: string, fields?: Fields) {
    if (!this.quiet) process.stderr.write(line('warn', msg, fields) + '\n');
  },
  error(msg: string, fields?: Fields) {
    process.stderr.write(line('error', msg, fields) + '\n');
  },
};
