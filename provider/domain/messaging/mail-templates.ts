// Renders a mail from views/mail/<template>.njk into subject, plain text and HTML. One template serves all three
// (see views/mail/layout.njk), so the parts cannot disagree. HTML is autoescaped; the text part is not, or a
// "&" in a name would reach the reader as "&amp;".
import { currentTheme, themedEnvironment } from '../../platform/web/theme.ts';
import { helpdeskFor } from '../../platform/web/helpdesk.ts';
import { translate, duration, type Locale, type MessageParams } from '../../platform/web/i18n.ts';

// A mail written while a person's request is handled wears the theme of their portal (platform/web/theme.ts).
const environment = (autoescape: boolean) => themedEnvironment(currentTheme(), autoescape ? 'mailHtml' : 'mailText');

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function renderMail(template: string, locale: Locale, params: Record<string, unknown>): RenderedMail {
  const file = `mail/${template}.njk`;
  const [html, plain] = [environment(true), environment(false)];
  const context = {
    ...params,
    locale,
    t: (key: string, p?: MessageParams) => translate(locale, key, p),
    duration,
    helpdesk: helpdeskFor(locale),
    theme: currentTheme(),
  };
  // Line breaks in a subject would start new headers. A no-break space stays: French puts one before : ; ? and !.
  const subject = plain
    .render(file, { ...context, format: 'subject' })
    .replace(/[^\S\u00a0]+/g, ' ')
    .trim();
  if (!subject) throw new Error(`Mail template ${file} renders no subject`);
  return {
    subject,
    text: `${plain
      .render(file, { ...context, format: 'text' })
      .replace(/\n{3,}/g, '\n\n')
      .trim()}\n`,
    html: html.render(file, { ...context, format: 'html', subject }).trim(),
  };
}
