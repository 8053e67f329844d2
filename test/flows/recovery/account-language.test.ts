// The recovery mail is in the language of the account it is about, whatever language the page it was asked from
// spoke: a French account asked for from a German page, a Dutch one from a page that had no language but the
// browser's English. Its reset link opens the page in that language too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithSink, type ProviderWithSink } from './helpers.ts';
import { Agent, text } from '../account/agent.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const heading = (html: string) => text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');

describe("the recovery mail's language", () => {
  let running: ProviderWithSink;
  beforeAll(async () => {
    running = await startWithSink({ CAPTCHA: 'off' });
    const { db, users } = running.idp.services;
    await users.create(db, { username: 'amelie', email: 'amelie@example.be', status: 'active', locale: 'fr' });
    await users.create(db, { username: 'joris', email: 'joris@example.be', status: 'active', locale: 'nl' });
  });
  afterAll(() => running?.close());

  /** Asks for a reset of `email` on the recovery page at `path`, in a browser whose own language is English. */
  async function ask(path: string, email: string) {
    const agent = new Agent(running.idp.issuer);
    await agent.get(path);
    await agent.post(path, { email });
    return running.sink.waitFor((m) => m.to.includes(email));
  }

  it("is the French account's French when asked for from a German page", async () => {
    const mail = await ask('/recovery?ui_locales=de', 'amelie@example.be');
    expect(mail.subject).toBe(translate('fr', 'recovery.mail.subject'));
  });

  it("is the Dutch account's Dutch when asked for from a page in the browser's English, and so is its reset page", async () => {
    const mail = await ask('/recovery', 'joris@example.be');
    expect(mail.subject).toBe(translate('nl', 'recovery.mail.subject'));
    const link = new URL(/https?:\/\/\S+\/recovery\/reset\?\S+/.exec(mail.text)![0]);
    const reset = await new Agent(running.idp.issuer).get(link.pathname + link.search);
    expect(heading(reset.html)).toBe(translate('nl', 'recovery.reset.title'));
  });
});
