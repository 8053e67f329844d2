// The authenticator app of a test: reads the secret from the enrolment page and computes the codes the app would
// show. A code is accepted one step early or late and once, so each use takes the next step (`Totp.next`).
import { generate } from 'otplib';
import type { Agent } from '../flows/account/agent.ts';

const PERIOD = 30;
const stepNow = () => Math.floor(Date.now() / 1000 / PERIOD);

export class Totp {
  readonly secret: string;
  private last: number;
  constructor(secret: string, lastStep = stepNow() - 2) {
    this.secret = secret;
    this.last = lastStep;
  }

  /** A code of the step after the last one used, at least the current one: what the app shows now or in 30 s. */
  next(): Promise<string> {
    this.last = Math.max(this.last + 1, stepNow());
    return generate({ secret: this.secret, epoch: this.last * PERIOD });
  }

  /** The code of the last step used again: a replay. */
  again(): Promise<string> {
    return generate({ secret: this.secret, epoch: this.last * PERIOD });
  }
}

export const secretOf = (html: string) => /data-secret>([A-Z2-7]+)</.exec(html)?.[1];
export const recoveryCodesOf = (html: string) => [...html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((m) => m[1]!);

/** Adds an authenticator app on the account pages of a logged-in agent; returns it and the recovery codes. */
export async function enrolOnAccount(agent: Agent): Promise<{ app: Totp; codes: string[] }> {
  const page = await agent.post('/account/security/totp', {});
  const secret = secretOf(page.html);
  if (!secret) throw new Error(`no enrolment page: ${page.url}`);
  const app = new Totp(secret);
  const done = await agent.post('/account/security/totp/confirm', { code: await app.next() });
  return { app, codes: recoveryCodesOf(done.html) };
}
