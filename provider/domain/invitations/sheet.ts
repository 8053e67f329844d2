// The printable sheet of slips, one per person, to cut apart and hand out: the only place the initial passwords
// are ever shown. A standalone HTML file with print CSS (print it, or "save as PDF" from the browser).
import { render } from '../../platform/web/views.ts';
import { duration, type Locale } from '../../platform/web/i18n.ts';
import type { IssuedInvitation } from './import.ts';

export function renderSheet(invitations: IssuedInvitation[], o: { locale: Locale; issuerUrl: string; activationTtl: number; now?: Date }): string {
  const sorted = [...invitations].sort(
    (a, b) => a.group.localeCompare(b.group) || a.familyName.localeCompare(b.familyName) || a.givenName.localeCompare(b.givenName),
  );
  return render('invitations/sheet.njk', {
    locale: o.locale,
    invitations: sorted,
    registrationUrl: `${o.issuerUrl}/registration/invitation`,
    validity: duration(o.activationTtl),
    generatedAt: o.now ?? new Date(),
  });
}
