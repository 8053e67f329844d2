// Shared with the provider, so that the bridge's pages and the provider's show a card number alike. It imports
// nothing, so that the provider's build can compile it without any of the bridge.

/** The card number as the card prints it: 592-1234567-89. */
export function formatCardNumber(cardNumber: string): string {
  return /^\d{12}$/.test(cardNumber) ? `${cardNumber.slice(0, 3)}-${cardNumber.slice(3, 10)}-${cardNumber.slice(10)}` : cardNumber;
}
