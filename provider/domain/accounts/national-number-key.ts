// The key under which the provider keeps a national number, as its HMAC only: NATIONAL_NUMBER_HMAC_KEY, or in
// development one generated once and kept in the database. One getter for the card, the upstreams, staff's
// searches and the pairwise subs, so that the same number gives the same hash wherever it was met.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { generatedSecret } from '../../platform/secrets.ts';

/** The key, read at its first use and kept; read again after a failure (a database outage), which is not kept. */
export function nationalNumberKey(config: Pick<Config, 'nationalNumberHmacKey'>, db: Db): () => Promise<string> {
  let key: Promise<string> | undefined;
  return () =>
    (key ??= config.nationalNumberHmacKey
      ? Promise.resolve(config.nationalNumberHmacKey)
      : generatedSecret(db, 'national_number_hmac_key').catch((e: unknown) => {
          key = undefined;
          throw e;
        }));
}
