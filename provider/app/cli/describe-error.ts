// What an `idp` command prints when it fails: the message a person can act on, never a stack trace.
import { z } from 'zod';
import { errors } from 'oidc-provider';
import { ConfigError, isAppError } from '../../platform/errors.ts';
import { UsageError } from './io.ts';
import { ThemeError } from '../../platform/web/theme.ts';

export function describeError(e: unknown): string {
  if (e instanceof ConfigError || e instanceof UsageError || e instanceof ThemeError) return e.message;
  if (e instanceof z.ZodError) return `Invalid arguments:\n${e.issues.map((i) => `  - ${i.path.join('.') || 'input'}: ${i.message}`).join('\n')}`;
  if (isAppError(e)) return `${e.message} (${e.code})`;
  // oidc-provider's message is only the error code (invalid_client_metadata); its description says what is wrong.
  if (e instanceof errors.OIDCProviderError) return `${e.error_description ?? e.message} (${e.error})`;
  if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return (e as Error).message;
  return `Failed: ${(e as Error).message}`;
}
