// The CAPTCHA in front of forms that send mail to an address anyone can type (recovery, registration). CAPTCHA
// selects the provider: ALTCHA (a proof of work solved in the browser, served by us: no third-party request, no
// tracking) or none for tests. Another provider plugs in by implementing `Captcha`.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { generatedSecret } from '../../platform/secrets.ts';
import { createAltcha } from './altcha.ts';

/** Why a submitted CAPTCHA was refused; each has its own message (captcha.error.<reason>). */
export type CaptchaRefusal = 'missing' | 'invalid' | 'expired' | 'used';

export type CaptchaResult = { ok: true } | { ok: false; reason: CaptchaRefusal };

export interface Captcha {
  /** False when CAPTCHA=off: forms show no widget and every submission passes. */
  enabled: boolean;
  /** A new challenge for the widget, as JSON. */
  challenge(): Promise<unknown>;
  /** Checks the form field the widget filled in; a passing solution is spent, so it passes once on any process. */
  verify(field: unknown): Promise<CaptchaResult>;
}

/** The form field the widget fills in. */
export const CAPTCHA_FIELD = 'altcha';

const off: Captcha = {
  enabled: false,
  challenge: async () => ({}),
  verify: async () => ({ ok: true }),
};

export async function createCaptcha(config: Config, db: Db): Promise<Captcha> {
  if (config.captcha === 'off') return off;
  return createAltcha(db, {
    key: config.captchaHmacKey ?? (await generatedSecret(db, 'captcha_hmac_key')),
    cost: config.captchaCost,
    maxCounter: config.captchaMaxCounter,
    ttlSeconds: config.captchaTtl,
  });
}
