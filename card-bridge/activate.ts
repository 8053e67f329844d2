// `eid-bridge activate`: the reactivation of an account from a terminal, for citizens without the web page.
// The card is checked (and chosen, when several are inserted) before the provider is asked for a nonce, so that a
// missing card or an unanswered question costs no flow.
import { authenticate, insertedCards, slotOf, type InsertedCard } from './card.ts';
import { BridgeError } from './errors.ts';
import type { Pkcs11Module } from './pkcs11/module.ts';
import type { PinPrompt } from './pin-prompt.ts';
import { requestNonce, sendAuthToken } from './reactivation.ts';
import type { TokenResponse } from './contract/reactivation.ts';
import { formatCardNumber } from './contract/card-number.ts';

export interface ActivateOptions {
  module: Pkcs11Module;
  provider: string;
  mobile: string;
  prompt: PinPrompt;
  /** The slot the citizen named with --card, when several cards are inserted. */
  card: string | undefined;
  /** Whether a person answers the prompt: only then may the bridge ask which card. */
  interactive: boolean;
  say(line: string): void;
}

const describeCard = (c: InsertedCard) => `${c.holder}, in ${c.reader}${c.cardNumber ? ` (card number ${formatCardNumber(c.cardNumber)})` : ''}`;

/** The card the PIN goes to: the only one, the one --card names, or the one the person picks; never a guess. */
export async function chooseCard(cards: InsertedCard[], o: Pick<ActivateOptions, 'card' | 'interactive' | 'prompt' | 'say'>): Promise<InsertedCard> {
  const list = cards.map((c) => `  --card ${c.slot}: ${describeCard(c)}`).join('\n');
  if (o.card !== undefined) {
    const named = cards.find((c) => c.slot === o.card);
    if (!named) throw new BridgeError('bad_request', `No eID card in slot ${o.card}. The cards inserted:\n${list}`);
    return named;
  }
  if (cards.length === 1) return cards[0]!;
  if (!o.interactive)
    throw new BridgeError('several_cards', `Several eID cards are inserted: name the one to use with --card, or leave only that card in a reader.\n${list}`);
  o.say('Several eID cards are inserted:');
  cards.forEach((c, i) => o.say(`  ${i + 1}. ${describeCard(c)}`));
  for (;;) {
    const answer = (await o.prompt.ask(`Which card (1-${cards.length})? `, undefined, { echo: true })).trim();
    const card = cards[Number(answer) - 1];
    if (/^\d+$/.test(answer) && card) return card;
    o.say(`Type a number from 1 to ${cards.length}, or Ctrl-C to stop.`);
  }
}

export async function activate(o: ActivateOptions): Promise<TokenResponse> {
  const card = await chooseCard(insertedCards(o.module.api), o);
  const { flowId, flowSecret, nonce } = await requestNonce(o.provider, o.mobile);
  const origin = new URL(o.provider).origin;
  let pin: string | null = null;
  if (card.pinPad) o.say(`Type the PIN of your eID on the card reader, to identify you to ${origin}`);
  else pin = await o.prompt.ask(`PIN of your eID, to identify you to ${origin} (input hidden): `);
  const { authToken, identity, caCertificates } = authenticate(o.module.api, slotOf(o.module.api, card), { pin, origin, nonce });
  return sendAuthToken(o.provider, { flowId, flowSecret, authToken, cardNumber: identity.card.cardNumber, caCertificates });
}
