// Address changes asked for many at once, on PostgreSQL where the requests really run side by side: each new link
// voids the earlier ones, as when they are asked for one after the other, so only the last mailed link works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { loggedInPerson } from './people.ts';
import { text } from './agent.ts';

describe('address changes asked for at once', { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    idp = await startTestProvider('postgres', { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100' });
  });
  afterAll(async () => {
    await idp?.close();
    await smtp?.stop();
  });

  it('leaves one link live when five are asked for at once', async () => {
    const { agent } = await loggedInPerson(idp, 'mira', 'correct horse battery staple');
    const addresses = Array.from({ length: 5 }, (_, i) => `mira.${i}@example.org`);
    const answers = await Promise.all(addresses.map((email) => agent.post('/account/email', { email })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    const tokens = await Promise.all(
      addresses.map(async (address) => {
        const mail = await smtp.waitFor((m) => m.to.includes(address) && m.subject === 'Confirm your new e-mail address');
        return new URL(/https?:\/\/\S+token=[\w-]+/.exec(mail.text)![0]).searchParams.get('token')!;
      }),
    );
    const followed = [];
    for (const token of tokens) followed.push(await agent.post('/account/email/verify', { token }));
    expect(followed.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = followed.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, text(r.html).includes('This link is not valid or was already used.')])).toEqual(Array(4).fill([400, true]));
  });
});
