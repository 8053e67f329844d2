// Client secrets of upstream providers are kept encrypted: AES-256-GCM under a key derived (HKDF) from
// UPSTREAM_SECRET_KEY, with the upstream's slug as associated data, so a database dump alone does not give a
// bank's client secret and a secret copied onto another upstream's row does not decrypt. In development the key is
// generated and kept in the database (which then protects nothing, but keeps one code path).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { AppError, type MessageKey } from '../../platform/errors.ts';
import { generatedSecret } from '../../platform/secrets.ts';

const VERSION = 'v1';

export interface SecretBox {
  seal(plain: string, slug: string): string;
  open(sealed: string, slug: string): string;
}

/** What a box keeps: its own derived key, and the error (code and catalogue key) when a sealed value no longer opens. */
export interface BoxUse {
  info: string;
  code: string;
  messageKey: MessageKey;
}

const UPSTREAM: BoxUse = { info: 'upstream client secret', code: 'upstream_secret', messageKey: 'upstream.error.secret' };

export function secretBox(secret: string, use: BoxUse = UPSTREAM): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'belid', use.info, 32));
  return {
    seal(plain, slug) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(slug));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [VERSION, iv.toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed, slug) {
      const [version, iv, data] = sealed.split('.');
      if (version !== VERSION || !iv || !data) throw new AppError(use.code, use.messageKey, 503);
      const bytes = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(slug));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        // The key changed since the value was sealed (for an upstream: staff must add it again).
        throw new AppError(use.code, use.messageKey, 503);
      }
    },
  };
}

/** The box of this deployment; production needs UPSTREAM_SECRET_KEY, development generates one. */
export async function upstreamSecretBox(config: Config, db: Db): Promise<SecretBox> {
  if (config.upstreamSecretKey) return secretBox(config.upstreamSecretKey);
  if (config.production) throw new AppError('upstream_secret_key_missing', 'error.upstream_secret_key_missing', 503);
  return secretBox(await generatedSecret(db, 'upstream_secret_key'));
}
