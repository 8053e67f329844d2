// The recovery form must not tell who has an account: for known and unknown addresses, sent interleaved in random
// order, the status and the page are identical and the answer times have the same distribution (medians within
// noise), while the known addresses really do get their mails through the SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForm, startWithSink, type ProviderWithSink } from './helpers.ts';
import { measureAlike } from '../../helpers/timing.ts';

const N = 30;
const ROUNDS = 3;
const FLOOR_MS = 250;

describe('account enumeration through the recovery form', () => {
  let running: ProviderWithSink;

  beforeAll(async () => {
    running = await startWithSink({
      // Delivery is a background job, decoupled from the answer: it runs after the measurement (drain below),
      // so that sending the known addresses' mails in this same process does not add its noise to the timings.
      OUTBOX_POLL_MS: '3600000',
      CAPTCHA: 'off',
      RECOVERY_RESPONSE_MS: String(FLOOR_MS),
      // Many requests from one address on purpose: the limits are not what is measured here.
      RATE_LIMIT_IP: '100000',
      RATE_LIMIT_RECOVERY: '1000',
    });
    const { db, users } = running.idp.services;
    for (let i = 0; i < N * ROUNDS; i++) await users.create(db, { username: `user.${i}`, email: `known.${i}@example.be`, status: 'active' });
  });

  afterAll(() => running?.close());

  it('answers known and unknown addresses with the same status, the same page and the same timing', async () => {
    const { idp, sink } = running;
    const form = await openForm(idp.issuer, '/recovery');
    const ask = async (email: string) => {
      const started = performance.now();
      const res = await form.post('/recovery', { email });
      const body = await res.text();
      return { status: res.status, body, ms: performance.now() - started };
    };
    for (let i = 0; i < 4; i++) await ask(`warm.${i}@example.be`);

    const { known, unknown, times } = await measureAlike(
      { n: N, rounds: ROUNDS, floorMs: 10, label: 'recovery' },
      (i) => ask(`known.${i}@example.be`),
      (i) => ask(`unknown.${i}@example.org`),
    );

    expect(new Set([...known, ...unknown].map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set([...known, ...unknown].map((r) => r.body)).size).toBe(1);
    expect(known[0]!.body).toContain('If an account is linked to this address, we have sent you an e-mail.');

    expect(Math.min(...[...known, ...unknown].map((r) => r.ms))).toBeGreaterThanOrEqual(FLOOR_MS);
    // Within noise: a leak such as a mail sent inside the request (tens of ms) would exceed this.
    expect(times.difference).toBeLessThanOrEqual(times.bound);

    // The known addresses' work was real: each got its mail.
    await idp.outbox.drain();
    await sink.waitFor(() => new Set(sink.messages.flatMap((m) => m.to)).size >= known.length, 15_000);
    expect(sink.messages.every((m) => m.to[0]!.startsWith('known.'))).toBe(true);
  }, 180_000);
});
