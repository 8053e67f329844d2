// The CAPTCHA in front of forms that send mail to an address anyone can type (recovery, registration). CAPTCHA
// selects the provider: ALTCHA (a proof of work solved in the browser, served by us: no third-party request, no
// tracking) or none for tests. Another provider plugs in by implementing `Captcha`.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { FormErrors } from '../../platform/web/form-errors.ts';
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
const CAPTCHA_FIELD = 'altcha';

/**
 * Checks the widget's field of a posted form: its refusal as the form's errors (captcha.error.<reason>, shown beside
 * the widget), or undefined when it passed and was spent.
 */
export async function captchaRefusal(captcha: Captcha, raw: Record<string, unknown>): Promise<FormErrors | undefined> {
  const verdict = await captcha.verify(raw[CAPTCHA_FIELD]);
  return verdict.ok ? undefined : { captcha: [{ key: `captcha.error.${verdict.reason}` }] };
}

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
