// `idp keys`: rotating the signing keys.
import { rotateSigningKeys } from '../../../oidc/keys.ts';
import { audit } from '../../../platform/audit.ts';
import type { CommandContext } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';

export const keys: CommandSpec<CommandContext> = {
  summary: 'signing keys: rotate',
  subcommands: {
    rotate: action({
      summary: 'New signing keys sign from now on; the old ones stay in the JWKS until their tokens have expired.',
      async run(_input, { config, io, db }: CommandContext) {
        // Old keys stay published as long as an ID token signed by them can still be presented.
        const keep = Math.max(config.idTokenTtl, config.accessTokenTtl) + config.keysRefreshSeconds + 60;
        const kids = await (
          await db()
        ).transaction(async (trx) => {
          const made = await rotateSigningKeys(trx, keep);
          await audit(trx, 'admin.keys_rotated', { details: { kids: made, via: 'cli' } });
          return made;
        });
        io.out(
          `New signing keys: ${kids.join(', ')}\nRunning processes use them within ${config.keysRefreshSeconds} s; old keys stay in the JWKS for ${keep} s.\n`,
        );
      },
    }),
  },
};
