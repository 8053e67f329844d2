// The catalogue and every mail template in nl, fr, de and en, as a person reads them: no English sentence or word
// outside en, one register per language, durations written out (minutes under an hour). Entry by entry, for the
// texts only some states show; the real pages and the mails they send are read in test/a11y/pages.test.ts, in the
// same walks as the accessibility checks.
import { describe, expect, it } from 'vitest';
import { languageProblems, otherWordProblems } from '../../helpers/language-check.ts';
import { LOCALES, catalogue, duration, formatDateTime, formatDuration, messageTexts, translate, type Locale } from '../../../provider/platform/web/i18n.ts';
import { renderMail } from '../../../provider/domain/messaging/mail-templates.ts';
import { inSmsAlphabet, smsPlain } from '../../../provider/domain/messaging/sms-text.ts';

describe('the catalogue, entry by entry', () => {
  const en = catalogue('en');
  it.each(LOCALES.filter((l) => l !== 'en'))('%s has no English text and one register', (locale) => {
    const problems: string[] = [];
    for (const [key, message] of Object.entries(catalogue(locale))) {
      const english = messageTexts(en[key]!);
      for (const text of messageTexts(message)) {
        problems.push(...languageProblems(locale, key, text.replace(/\{\w+\}/g, ' ')));
        // A text of two words or more that is the English one was not translated ("Status", "App" are the same word).
        if (
          english.includes(text) &&
          text
            .replace(/\{\w+\}/g, '')
            .trim()
            .split(/\s+/).length > 1
        )
          problems.push(`${key} (${locale}): the English text`);
      }
    }
    expect(problems).toEqual([]);
  });
  it('en names each thing with one word', () => {
    const problems = Object.entries(en).flatMap(([key, message]) => messageTexts(message).flatMap((text) => otherWordProblems('en', key, text)));
    expect(problems).toEqual([]);
  });
});

describe('Dutch pronouns', () => {
  // "de code" and "de link" are masculine ("hij", "hem"), "het token" and "het nummer" neuter: "Ze is 10 minuten
  // geldig. Geef ze aan niemand door." reads as if the code were a woman, or several codes.
  const THING = /(?<!\p{L})(code|link|token|nummer)(?!\p{L})/iu;
  const SHE = /(?<!\p{L})(ze|zij) (is|was|wordt|blijft|vervalt)(?!\p{L})|(?<!\p{L})(typt|tik|geef|deel|gebruik|volg|kopieer|open|bewaar) (ze|haar)(?!\p{L})/iu;
  it('refer to a code, link, token or number as "hij/hem" or "het", never "ze"', () => {
    const wrong = Object.entries(catalogue('nl')).flatMap(([key, message]) =>
      messageTexts(message)
        .filter((text) => THING.test(text) && SHE.test(text))
        .map((text) => `${key}: ${text}`),
    );
    expect(wrong).toEqual([]);
  });
});

describe('plural forms', () => {
  it.each([
    ['en', 'account.phone.verify.error.wrong', { tries: 1 }, 'You can try 1 more time.'],
    ['en', 'account.phone.verify.error.wrong', { tries: 2 }, 'You can try 2 more times.'],
    ['de', 'account.phone.verify.error.wrong', { tries: 1 }, 'Sie haben noch 1 Versuch.'],
    ['de', 'account.phone.verify.error.wrong', { tries: 4 }, 'Sie haben noch 4 Versuche.'],
    ['fr', 'account.phone.verify.error.wrong', { tries: 1 }, 'Il vous reste 1 essai.'],
    ['fr', 'account.phone.verify.error.wrong', { tries: 0 }, 'Il vous reste 0 essai.'],
    ['fr', 'account.phone.verify.error.wrong', { tries: 3 }, 'Il vous reste 3 essais.'],
    ['nl', 'reactivation.error.code_wrong', { tries: 1 }, 'Nog 1 poging.'],
    ['en', 'admin.users.results', { count: 0 }, '0 accounts found'],
    ['nl', 'error.try_again', { seconds: 1 }, 'Probeer opnieuw over 1 seconde.'],
  ] as const)('%s %s %o: %s', (locale, key, params, shown) => {
    expect(translate(locale, key, params)).toContain(shown);
  });
});

describe('durations', () => {
  it.each([
    ['nl', 1800, '30 minuten'],
    ['de', 1800, '30 Minuten'],
    ['fr', 60, '1 minute'],
    ['de', 3600, '1 Stunde'],
    ['nl', 7200, '2 uur'],
    ['en', 5400, '90 minutes'],
  ] as const)('%s, %i seconds: %s', (locale, seconds, shown) => {
    expect(formatDuration(locale, seconds)).toBe(shown);
    expect(translate(locale, 'account.mail.email_verify.body', { duration: duration(seconds) })).toContain(shown);
  });
});

describe('every mail template', () => {
  const mails = {
    recovery: { accounts: [{ username: 'marie.dubois', href: 'https://id.example.be/recovery/reset?token=x' }], minutes: 1 },
    alert: {
      subject: 'Stroomonderbreking',
      text: 'Morgen van 8 tot 10 uur.',
      severity: 'warning',
      sender: 'Gemeente',
      settingsUrl: 'https://id.example.be/account/alerts',
    },
    notice: {
      title: { key: 'account.mail.email_verify.title' },
      paragraphs: [{ key: 'account.mail.email_verify.body', params: { duration: duration(1800) } }],
      action: { href: 'https://id.example.be/x', label: { key: 'account.mail.email_verify.action' } },
    },
  };
  it.each(LOCALES)('%s', (locale) => {
    const problems = Object.entries(mails).flatMap(([template, params]) => {
      const mail = renderMail(template, locale, params);
      return languageProblems(locale, `mail ${template}`, `${mail.subject}\n${mail.text}`);
    });
    expect(problems).toEqual([]);
    expect(renderMail('recovery', locale, mails.recovery).text).toContain(formatDuration(locale, 60));
  });
});

describe('the texts sent by SMS', () => {
  // One SMS holds 160 characters: a longer text is sent, and paid for, as several.
  const code = { code: '123456', duration: duration(600) };
  const texts = (locale: Locale) => {
    const when = formatDateTime(locale, new Date('2026-12-31T23:59:00Z'));
    return {
      'account.sms.code': code,
      'account.alert_contact.sms': code,
      'reactivation.sms.code': code,
      'reactivation.sms.done': { when },
      'upstream.reactivation.sms_done': { when, name: 'itsme' },
    };
  };
  it.each(LOCALES)('%s: each fits in one SMS with the service named as the pages name it', (locale) => {
    const service = translate(locale, 'app.name');
    const long = Object.entries(texts(locale))
      .map(([key, params]) => [key, translate(locale, key, { ...params, service })] as const)
      .filter(([, text]) => text.length > 160);
    expect(long).toEqual([]);
  });

  // One character outside the SMS alphabet (GSM 03.38) makes every part of a text 70 characters instead of 160: what
  // the outbox sends (its plain forms of typographic spaces and punctuation) must stay inside it.
  it.each(LOCALES)('%s: each is written in the SMS alphabet, as the outbox sends it', (locale) => {
    const service = translate(locale, 'app.name');
    const outside = Object.entries(texts(locale))
      .map(([key, params]) => [key, smsPlain(translate(locale, key, { ...params, service }))] as const)
      .filter(([, text]) => !inSmsAlphabet(text));
    expect(outside).toEqual([]);
  });

  // The reactivation pages also take the activation code (six characters, handed out by the office): the code texted
  // during a reactivation must not read as that one, and says that no one who asks for it is us.
  it.each([
    ['en', 'one-time verification code', 'No one from our service will ever ask you for it.', /activation code/i],
    ['nl', 'eenmalige verificatiecode', 'Niemand van onze dienst zal u er ooit om vragen.', /activeringscode/i],
    ['fr', 'code de vérification à usage unique', 'Notre service ne vous le demandera jamais.', /code d’activation/i],
    ['de', 'einmaliger Bestätigungscode', 'Niemand von uns wird Sie je danach fragen.', /Aktivierungscode/i],
  ] as const)('%s: the reactivation code is a one-time verification code that no one from the service asks for', (locale, name, warning, activation) => {
    const text = translate(locale, 'reactivation.sms.code', { ...code, service: 'Identity' });
    expect(text).toContain(name);
    expect(text).toContain(warning);
    expect(text).not.toMatch(activation);
  });
});
