// The operator's helpdesk (HELPDESK_CONTACT): named on the pages and in the mails that send a person to it, in the
// reader's language. One contact for every language, or one per language (a Dutch line and a French one).
import { z } from 'zod';
import { LOCALES, type Locale } from './i18n.ts';

const contact = z
  .strictObject(
    {
      name: z.string().trim().min(1).max(120).optional(),
      email: z.email({ message: 'email must be an e-mail address' }).optional(),
      phone: z
        .string()
        .regex(/^\+?[0-9][0-9 ()./-]{5,24}$/, 'phone must be a telephone number such as +32 9 123 45 67')
        .optional(),
      url: z.url({ protocol: /^https?$/, message: 'url must be an http(s) URL' }).optional(),
      hours: z.string().trim().min(1).max(120).optional(),
    },
    { message: 'a contact has only the fields name, email, phone, url and hours' },
  )
  .refine((c) => c.email || c.phone || c.url, 'a contact needs at least an email, a phone or a url');
export type HelpdeskContact = z.output<typeof contact>;
export type Helpdesk = Record<Locale, HelpdeskContact>;

const perLanguage = z.partialRecord(z.enum(LOCALES), contact).refine((r) => Object.keys(r).length > 0, 'expected at least one language');

/** Every language gets its own contact, else the English one, else the first one given. */
function forEveryLanguage(given: Partial<Helpdesk>): Helpdesk {
  const fallback = given.en ?? Object.values(given)[0]!;
  return Object.fromEntries(LOCALES.map((l) => [l, given[l] ?? fallback])) as Helpdesk;
}

const json = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"email":"help@example.be","phone":"+32 9 123 45 67"}' });
    return z.NEVER;
  }
});

const byLanguage = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).some((k) => (LOCALES as readonly string[]).includes(k));

/** HELPDESK_CONTACT: one contact, or an object of contacts by language (nl, fr, de, en). Which of the two is read
 *  from the keys, so that a problem is reported against the shape the operator meant. */
export const helpdeskSetting = json.transform((value, ctx): Helpdesk => {
  const parsed = byLanguage(value) ? perLanguage.safeParse(value) : contact.transform((c) => ({ en: c })).safeParse(value);
  if (parsed.success) return forEveryLanguage(parsed.data);
  for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message });
  return z.NEVER;
});

let helpdesk: Helpdesk | undefined;
export const setHelpdesk = (h: Helpdesk | undefined) => {
  helpdesk = h;
};
export const helpdeskFor = (locale: Locale): HelpdeskContact | undefined => helpdesk?.[locale];
