// Passkeys (WebAuthn): the relying party is the ISSUER's host name, its origin the ISSUER's; these widen or narrow that.
import { z } from 'zod';
import { idList, setting, urlList } from './kinds.ts';

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const passkeySettings = {
  passkeyExtraOrigins: setting({
    env: 'PASSKEY_EXTRA_ORIGINS',
    schema: urlList.transform((urls) => urls.map((u) => new URL(u).origin)),
    default: '',
    doc: "comma list of origins besides the ISSUER's whose passkey answers are accepted (a sub-domain serving the login page, an app's origin); each must be the ISSUER's host name or one of its sub-domains",
  }),
  passkeyAaguids: setting({
    env: 'PASSKEY_AAGUIDS',
    schema: idList.pipe(z.array(z.string().toLowerCase().regex(AAGUID, 'each entry must be an AAGUID such as ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4'))),
    default: '',
    doc: 'comma list of the authenticator models (AAGUIDs) a new passkey must be made on, as the authenticator states it in its attestation; empty: any authenticator',
  }),
};
