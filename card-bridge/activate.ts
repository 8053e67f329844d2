// `eid-bridge activate`: the reactivation of an account from a terminal, for citizens without the web page.
// The card is checked before the provider is asked for a nonce, so that a missing card costs no flow.
import { authenticate } from './card.ts';
import type { Pkcs11Module } from './pkcs11/module.ts';
import { findEid } from './pkcs11/slots.ts';
import type { PinPrompt } from './pin-prompt.ts';
import { requestNonce, sendAuthToken, type TokenResponse } from './reactivation.ts';

export interface ActivateOptions {
  module: Pkcs11Module;
  provider: string;
  mobile: string;
  prompt: PinPrompt;
  say(line: string): void;
}

export async function activate(o: ActivateOptions): Promise<TokenResponse> {
  const slot = findEid(o.module.api);
  const { flowId, flowSecret, nonce } = await requestNonce(o.provider, o.mobile);
  const origin = new URL(o.provider).origin;
  let pin: string | null = null;
  if (slot.pinPad) o.say(`Type the PIN of your eID on the card reader, to identify you to ${origin}`);
  else pin = await o.prompt.ask(`PIN of your eID, to identify you to ${origin} (input hidden): `);
  const { authToken, identity, caCertificates } = authenticate(o.module.api, slot.handle, { pin, origin, nonce });
  return sendAuthToken(o.provider, { flowId, flowSecret, authToken, cardNumber: identity.card.cardNumber, caCertificates });
}
