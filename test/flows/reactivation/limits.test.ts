// The reactivation service's limits as an attacker meets them: they count requesters, so a third party can neither
// use up an owner's quota nor void her token, and guesses from many addresses slow the number's tries, never stop them; the token is found by number and token together; the SMS limit is
// checked before a token is spent. Requesters are told apart by their address, as the pages and the API pass it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../../provider/platform/db/knex.ts';
import type { Services } from '../../../provider/app/server.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { newApiSecret } from '../../../provider/domain/flow-state/binding.ts';
import { createReactivationService, type ReactivationService } from '../../../provider/flows/reactivation/service.ts';
import { createLimiter } from '../../../provider/domain/guards/rate-limit.ts';
import { has } from '../../helpers/components.ts';
import { testServices } from '../../helpers/services.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];
const OWNER = '203.0.113.7';
const ATTACKER = '198.51.100.66';
const ANN = '+32470123456';

describe.each(kinds)('reactivation limits on %s', (kind) => {
  let db: Db;
  let services: Services;
  let reactivation: ReactivationService;
  let ann: User;
  let eve: User;

  beforeAll(async () => {
    ({ db, services } = await testServices(kind));
    // Only the bank path is used here: no card is read.
    reactivation = createReactivationService(services);
    ann = await services.users.create(db, { username: 'ann', email: 'ann@example.be', emailVerified: true, status: 'blocked', locale: 'en' });
    await services.users.setVerifiedPhone(db, ann.id, ANN);
    // As the card or the bank finds her: with her verified number.
    ann = (await services.users.findById(db, ann.id))!;
    eve = await services.users.create(db, { username: 'eve', email: 'eve@example.be', emailVerified: true, status: 'active', locale: 'en' });
  });
  afterAll(() => db?.destroy());

  const clearLimits = () => db('rate_limits').delete();

  /** A token for `user` asked with `mobile` from `ip`, the bank having vouched for the user. */
  async function tokenFor(user: User, mobile: string, ip: string): Promise<string> {
    const { binding } = newApiSecret();
    const flow = await reactivation.start(mobile, { ip }, binding);
    await reactivation.vouchedByUpstream(flow.id, user, 'My Bank', true, { ip }, binding);
    return (await reactivation.issueToken(flow.id, { ip }, binding)).token;
  }
  const redeem = (mobile: string, typed: string, ip: string) => reactivation.redeem(mobile, typed, { ip, locale: 'en' }, newApiSecret().binding);
  const wrongOf = (token: string) => (token.startsWith('0') ? `1${token.slice(1)}` : `0${token.slice(1)}`);

  it("never voids the owner's token by wrong tries: the guesser is stopped, the owner's token still works from her connection", async () => {
    await clearLimits();
    const token = await tokenFor(ann, ANN, OWNER);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await redeem(ANN, wrongOf(token), ATTACKER));
    expect(outcomes.map((o) => o.status)).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'too_many']);
    expect(outcomes.slice(0, 5).map((o) => (o as { triesLeft: number }).triesLeft)).toEqual([4, 3, 2, 1, 0]);
    // Even the right token is refused to that requester for the hour…
    expect(await redeem(ANN, token, ATTACKER)).toMatchObject({ status: 'too_many', wait: { seconds: 3600 } });
    // …while the owner, elsewhere, redeems it: the next step is the SMS code to her number.
    const mine = await redeem(ANN, token, OWNER);
    expect(mine.status).toBe('ok');
    expect(mine.status === 'ok' && mine.flow.state).toBe('phone');
    expect(await db('outbox').where({ channel: 'sms', recipient: ANN }).orderBy('created_at', 'desc').first()).toMatchObject({
      body_text: expect.stringMatching(/^Identity: \d{6} is your one-time verification code to reactivate your account/),
    });
  });

  it('answers a number with no token exactly as a wrong token, and counts each number apart', async () => {
    await clearLimits();
    const none = await redeem('+32499000111', 'ABCDEF', ATTACKER);
    const wrong = await redeem(ANN, 'ABCDEF', ATTACKER);
    expect(none).toEqual({ status: 'wrong', triesLeft: 4 });
    expect(wrong).toEqual({ status: 'wrong', triesLeft: 4 });
    // A spent token too, typed with another number: no token of that number (before: "already used").
    const token = await tokenFor(ann, ANN, OWNER);
    expect((await redeem(ANN, token, OWNER)).status).toBe('ok');
    expect(await redeem('+32499000111', token, ATTACKER)).toEqual({ status: 'wrong', triesLeft: 3 });
    expect((await redeem(ANN, token, OWNER)).status).toBe('used');
  });

  it("finds a token by number and token together: a token the attacker gets for the owner's number with his own proof does not shadow hers", async () => {
    await clearLimits();
    const hers = await tokenFor(ann, ANN, OWNER);
    // Eve proves her own account (her bank), naming Ann's number: the newer token of that number is Eve's.
    const his = await tokenFor(eve, ANN, ATTACKER);
    const first = await redeem(ANN, hers, OWNER);
    expect(first.status === 'ok' && first.flow.user_id).toBe(ann.id);
    const second = await redeem(ANN, his, ATTACKER);
    expect(second.status === 'ok' && second.flow.user_id).toBe(eve.id);
  });

  it('compares at most ACTIVATION_TOKEN_TRIES of 50 parallel guesses from one requester', async () => {
    await clearLimits();
    const token = await tokenFor(ann, ANN, OWNER);
    const guesses = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(ANN, `Z${String(i).padStart(5, '0')}`, ATTACKER)));
    expect(guesses.filter((g) => g.status === 'wrong')).toHaveLength(5);
    expect(guesses.filter((g) => g.status === 'too_many')).toHaveLength(45);
    expect((await redeem(ANN, token, OWNER)).status).toBe('ok');
  });

  it("slows the guessing of one number from many addresses, and still checks the owner's right token from her connection", async () => {
    await clearLimits();
    const token = await tokenFor(ann, ANN, OWNER);
    // ACTIVATION_TOKEN_TRIES_GLOBAL (30) wrong tokens from six addresses, five each.
    for (let a = 0; a < 6; a++) for (let i = 0; i < 5; i++) expect((await redeem(ANN, wrongOf(token), `192.0.2.${a}`)).status).toBe('wrong');
    // Past them each try waits before it is checked: one from a new address, 1 s…
    const timed = async (ip: string, typed: string) => {
      const started = performance.now();
      const outcome = await redeem(ANN, typed, ip);
      return { status: outcome.status, ms: performance.now() - started };
    };
    const next = await timed('192.0.2.200', wrongOf(token));
    expect([next.status, next.ms >= 950]).toEqual(['wrong', true]);
    // …and the owner's right token, from her connection, 2 s: on to the SMS step (before: "too many" for an hour, while
    // the token lives 10 minutes).
    const mine = await timed(OWNER, token);
    expect([mine.status, mine.ms >= 1950]).toEqual(['ok', true]);
  });

  it('checks two tries of the number at a time past the threshold and refuses a third unchecked, to try again', async () => {
    await clearLimits();
    const token = await tokenFor(ann, ANN, OWNER);
    for (let a = 0; a < 6; a++) for (let i = 0; i < 5; i++) expect((await redeem(ANN, wrongOf(token), `192.0.2.${a}`)).status).toBe('wrong');
    const outcomes = await Promise.all(['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) => redeem(ANN, wrongOf(token), ip)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['busy', 'wrong', 'wrong']);
    expect(outcomes.find((o) => o.status === 'busy')).toEqual({ status: 'busy', seconds: expect.any(Number) });
  });

  it("checks the owner's token from the address her account was proved at while others guess from ever new addresses", async () => {
    await clearLimits();
    // Delays capped at 2 s, so that the guessers' places turn over within the test.
    const quick = createReactivationService({ ...services, config: { ...services.config, rateLimitMaxDelay: 2 } });
    const redeemAt = (typed: string, ip: string) => quick.redeem(ANN, typed, { ip, locale: 'en' }, newApiSecret().binding);
    const token = await tokenFor(ann, ANN, OWNER);
    await Promise.all(Array.from({ length: 30 }, (_, i) => redeemAt(wrongOf(token), `192.0.2.${i}`)));
    // Eve proves her own account with her bank from twenty addresses, each time naming Ann's number: none of them is
    // Ann's likely address (the fifth attack pass took the owner's place so).
    const eves = Array.from({ length: 20 }, (_, i) => `203.0.113.${100 + i}`);
    for (const ip of eves) {
      const { binding } = newApiSecret();
      const flow = await quick.start(ANN, { ip }, binding);
      await quick.vouchedByUpstream(flow.id, eve, 'My Bank', true, { ip }, binding);
    }
    // Three guessers, each try from an address of its own, and two from Eve's: every place but the owner's is nearly
    // always taken.
    let guessing = true;
    let next = 0;
    const busy: string[] = [];
    const guess = (ip: () => string) => async () => {
      while (guessing) {
        busy.push((await redeemAt(wrongOf(token), ip())).status);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const fresh = () => `198.51.${100 + (next >> 8)}.${next++ & 255}`;
    const loops = [...Array.from({ length: 3 }, () => guess(fresh)()), ...[0, 1].map(() => guess(() => eves[next % eves.length]!)())];
    try {
      await vi.waitFor(() => expect(busy).toContain('busy'), { timeout: 10_000, interval: 50 });
      // Before: "busy" twenty times out of twenty over 76 s (the third attack pass).
      expect((await redeemAt(token, OWNER)).status).toBe('ok');
    } finally {
      guessing = false;
      await Promise.all(loops);
    }
  }, 60_000);

  it("does not let a token of one's own for the number wipe the number's wrong tries", async () => {
    await clearLimits();
    const hers = await tokenFor(ann, ANN, OWNER);
    for (let a = 0; a < 6; a++) for (let i = 0; i < 5; i++) expect((await redeem(ANN, wrongOf(hers), `192.0.2.${a}`)).status).toBe('wrong');
    // Eve proves her own account naming Ann's number, and redeems that token.
    const his = await tokenFor(eve, ANN, ATTACKER);
    expect((await redeem(ANN, his, ATTACKER)).status).toBe('ok');
    // The guesses before it still count: the next wrong one waits (with the count wiped it would not).
    const started = performance.now();
    expect((await redeem(ANN, wrongOf(hers), '192.0.2.201')).status).toBe('wrong');
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('checks the SMS limit before spending the token: a refused SMS leaves the token for later', async () => {
    await clearLimits();
    const token = await tokenFor(ann, ANN, OWNER);
    const sms = createLimiter(db, { keyPrefix: 'sms_codes', points: services.config.rateLimitSmsCodes, durationSeconds: 3600 });
    for (let i = 0; i < services.config.rateLimitSmsCodes; i++) await sms.consume(ann.id);
    await expect(redeem(ANN, token, OWNER)).rejects.toMatchObject({ code: 'sms_refused', status: 429 });
    await clearLimits();
    expect((await redeem(ANN, token, OWNER)).status).toBe('ok');
  });

  it("counts starts and tokens per requester: someone else's attempts for her number leave the owner's quota whole", async () => {
    await clearLimits();
    const { rateLimitReactivation } = services.config;
    // Starts with her number and no proof at all: the attacker's own address runs out, hers does not.
    for (let i = 0; i < rateLimitReactivation * 4; i++) await reactivation.start(ANN, { ip: ATTACKER }, newApiSecret().binding);
    await expect(reactivation.start(ANN, { ip: ATTACKER }, newApiSecret().binding)).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    // Tokens are counted only once the bank (or card) proved the account, per number and requester.
    await clearLimits();
    for (let i = 0; i < rateLimitReactivation; i++) await tokenFor(eve, ANN, ATTACKER);
    await expect(tokenFor(eve, ANN, ATTACKER)).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    expect(await tokenFor(ann, ANN, OWNER)).toMatch(/^[0-9A-Z]{6}$/);
  });
});
