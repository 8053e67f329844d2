// A passkey row as an authenticator would have left it, for tests that need one to exist (listed, removed, planted)
// without the WebAuthn ceremony; test/flows/login/passkeys.test.ts makes real ones in Chromium.
import type { Knex } from 'knex';
import { addPasskey, type Passkey } from '../../provider/domain/passkeys/repository.ts';

export function storedPasskey(db: Knex, userId: string, name: string, o: { credentialId?: string; synced?: boolean } = {}): Promise<Passkey> {
  return addPasskey(db, {
    user_id: userId,
    credential_id: o.credentialId ?? `stored-${name.toLowerCase().replace(/\W+/g, '-')}`,
    public_key: new Uint8Array(32),
    counter: 0,
    transports: ['internal'],
    backup_eligible: o.synced ?? false,
    backed_up: o.synced ?? false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name,
  });
}
