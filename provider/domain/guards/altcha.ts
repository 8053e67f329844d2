// ALTCHA: the browser proves some work (PBKDF2 tries until a derived key matches a signed prefix) instead of
// solving a puzzle or being profiled. Challenges are signed and expiring (deterministic mode: the expected key is
// signed too, so checking costs one HMAC); a solved challenge is recorded in captcha_spent, so it passes once,
// on whichever process receives it.
import { createHmac } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { z } from 'zod';
import type { Db } from '../../platform/db/knex.ts';
import type { Captcha, CaptchaResult } from './captcha.ts';

export interface AltchaOptions {
  key: string;
  /** PBKDF2 iterations per try. */
  cost: number;
  /** The browser needs between maxCounter/2 and maxCounter tries. */
  maxCounter: number;
  ttlSeconds: number;
}

const ALGORITHM = 'PBKDF2/SHA-256';

const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({ nonce: z.string().regex(/^[0-9a-f]{16,64}$/), expiresAt: z.number().int().positive() }),
    signature: z.string(),
  }),
  solution: z.looseObject({ counter: z.number(), derivedKey: z.string() }),
});

function parsePayload(field: string): z.infer<typeof payloadSchema> | undefined {
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(field, 'base64').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function createAltcha(db: Db, o: AltchaOptions): Captcha {
  // The key signature uses a second secret derived from the first, as altcha-lib recommends.
  const keySecret = createHmac('sha256', o.key).update('altcha derived-key signature').digest('hex');

  /** True the first time a challenge is spent; expired records go at the same time. */
  async function spend(nonce: string, expiresAt: number): Promise<boolean> {
    await db('captcha_spent').where('expires_at', '<', new Date()).delete();
    const inserted = await db('captcha_spent')
      .insert({ id: nonce, expires_at: new Date(expiresAt * 1000) })
      .onConflict('id')
      .ignore()
      .returning('id');
    return inserted.length === 1;
  }

  return {
    enabled: true,

    challenge: () =>
      createChallenge({
        algorithm: ALGORITHM,
        cost: o.cost,
        counter: randomInt(o.maxCounter, Math.ceil(o.maxCounter / 2)),
        deriveKey,
        expiresAt: new Date(Date.now() + o.ttlSeconds * 1000),
        hmacSignatureSecret: o.key,
        hmacKeySignatureSecret: keySecret,
      }),

    async verify(field): Promise<CaptchaResult> {
      if (typeof field !== 'string' || !field) return { ok: false, reason: 'missing' };
      const payload = parsePayload(field);
      if (!payload || payload.challenge.parameters.algorithm !== ALGORITHM) return { ok: false, reason: 'invalid' };
      const result = await verifySolution({
        challenge: payload.challenge as unknown as Challenge,
        solution: payload.solution,
        deriveKey,
        hmacSignatureSecret: o.key,
        hmacKeySignatureSecret: keySecret,
      });
      if (result.expired) return { ok: false, reason: 'expired' };
      if (!result.verified) return { ok: false, reason: 'invalid' };
      const { nonce, expiresAt } = payload.challenge.parameters;
      return (await spend(nonce, expiresAt)) ? { ok: true } : { ok: false, reason: 'used' };
    },
  };
}
