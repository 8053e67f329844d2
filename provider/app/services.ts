// The services every flow shares, built once per process by server.ts. Its own module, so that the flows and methods
// that receive them import a type and not the composition of the whole process.
import type Provider from 'oidc-provider';
import type { Config } from './settings.ts';
import type { Db } from '../platform/db/knex.ts';
import type { UserRepository } from '../domain/accounts/repository.ts';
import type { PasswordHasher } from '../domain/accounts/passwords.ts';
import type { TokenService } from '../domain/tokens/one-time.ts';
import type { FlowStore } from '../domain/flow-state/store.ts';
import type { FlowStarts } from '../domain/flow-state/binding.ts';
import type { AccountDeletion } from '../domain/accounts/deletion.ts';

/** What the flows share: built once per process. */
export interface Services {
  config: Config;
  db: Db;
  users: UserRepository;
  hasher: PasswordHasher;
  cookieKeys: string[];
  tokens: TokenService;
  flows: FlowStore;
  /** Bindings for the flows a browser starts, limited per client address. */
  flowStarts: FlowStarts;
  provider: () => Provider;
  /** A person's own account deletion: its grace period, its cancellation by a login, its purge. */
  deletion: AccountDeletion;
}
