// Extra contacts for alerts added many at once, on PostgreSQL where the requests really run side by side: the cap
// (ALERT_EXTRA_CONTACTS per channel) holds, and every other request is told the list is full.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { loggedInPerson } from './people.ts';
import type { Agent } from './agent.ts';

describe('extra contacts added at once', { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let gateway: HttpSink;
  let smtp: SmtpSink;
  let agent: Agent;
  let userId: string;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([startHttpSink(), startSmtpSink()]);
    idp = await startTestProvider('postgres', {
      SMS_GATEWAY_URL: `${gateway.url}/sms`,
      SMTP_URL: smtp.url,
      ALERT_EXTRA_CONTACTS: '1',
      RATE_LIMIT_SMS_CODES: '100',
    });
    ({
      agent,
      user: { id: userId },
    } = await loggedInPerson(idp, 'lena', 'correct horse battery staple'));
  });
  afterAll(async () => {
    await idp?.close();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  it.each([
    ['addresses', 'email', (i: number) => `lena.${i}@example.org`],
    ['numbers', 'sms', (i: number) => `+324709876${String(i).padStart(2, '0')}`],
  ])('keeps to the cap when ten %s are added at once', async (_, channel, value) => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => agent.raw('/account/alerts/contacts', { form: { channel, value: value(i) } })));
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 400)).toHaveLength(9);
    expect(await idp.services.db('alert_contacts').where({ user_id: userId, channel })).toHaveLength(1);
  });

  it('answers numbers added while a new mobile number is asked for, each spending the same SMS budget', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      await idp.services.db('alert_contacts').where({ user_id: userId }).delete();
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2
            ? agent.raw('/account/phone', { form: { phone: `+3247098${round}${i}00` } })
            : agent.raw('/account/alerts/contacts', { form: { channel: 'sms', value: `+3247097${round}${i}00` } }),
        ),
      );
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
