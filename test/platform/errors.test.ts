// An AppError names its message by a catalogue key that exists (checked by the type: `npm run typecheck`), and
// its message is that key's English text with the params in it: what the `idp` command and the JSON APIs show.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../provider/platform/errors.ts';
import { translate } from '../../provider/platform/web/i18n.ts';

describe('AppError', () => {
  it('carries its code, key, status and params, and the English text of the key as its message', () => {
    const e = new AppError('client_unknown', 'error.client_unknown', 404, { clientId: 'backend' });
    expect([e.code, e.key, e.status, e.params]).toEqual(['client_unknown', 'error.client_unknown', 404, { clientId: 'backend' }]);
    expect(e.message).toBe('No client with client_id "backend"');
    expect(translate('nl', e.key, e.params)).toBe('Geen client met client_id "backend"');
  });

  it('refuses a key the catalogue does not have, at compile time', () => {
    // @ts-expect-error: not a key of views/locales/en (if this compiles, the key type has become a plain string)
    const e = new AppError('made_up', 'error.no_such_message');
    // At run time the key shows itself, as any missing key does.
    expect(e.message).toBe('error.no_such_message');
  });
});
