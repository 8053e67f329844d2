// The one schema for an e-mail address that someone types, wherever they type it: sign-up, recovery, a new address,
// staff, the command line and an invitations file. An internationalised domain ("bücher.de") is stored in its ASCII
// (punycode) form, the form mail servers and DNS use: typed either way, the address is one account, and every lookup
// (lower(email) = ?) meets it. The local part stays as typed.
import { domainToASCII, domainToUnicode } from 'node:url';
import { z } from 'zod';

export const EMAIL_MAX = 320;

const ASCII = /^[\x20-\x7E]*$/;

function asciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (at < 1 || ASCII.test(domain)) return address;
  // An invalid name converts to "": the address is then left as typed, for z.email to refuse.
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

/** `message`: what a refusal says, where one says more than zod's own (the command line, an invitations file). */
export const emailAddressSchema = (message?: string) =>
  z.string({ message }).trim().max(EMAIL_MAX, message).transform(asciiDomain).pipe(z.email({ message }).max(EMAIL_MAX, message));

export const emailAddress = emailAddressSchema();

/** A stored address as its owner typed it: the domain back in Unicode ("xn--bcher-kva.de" → "bücher.de"). */
export function shownEmail(address: string | null | undefined): string {
  if (!address) return '';
  const at = address.lastIndexOf('@');
  if (at < 1 || !address.includes('xn--', at)) return address;
  return `${address.slice(0, at)}@${domainToUnicode(address.slice(at + 1)) || address.slice(at + 1)}`;
}
