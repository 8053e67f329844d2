// The bridge's own pages in the language of the page that asks (`lang` in POST /authenticate): nl, fr, de, en.
// Placeholders are {name}; the page escapes what it fills in.

export const LANGUAGES = ['nl', 'fr', 'de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  // The provider's pages name the bridge so (views/locales/*/eid.json): its window must be recognisably the same program.
  'bridge.name': 'Card bridge',
  'pin.title': 'Enter your eID PIN',
  'pin.asks': 'asks to identify you with your Belgian eID card.',
  'pin.card': 'Card of {holder}',
  'pin.card_number': 'card number {number}',
  'pin.label': 'PIN code (4 to 12 digits)',
  'pin.submit': 'Identify me',
  'pin.cancel': 'Cancel',
  'pin.only_here': 'Only type your PIN if you started this on {host} yourself. Your PIN stays on this computer: the website never sees it.',
  'pin.tries': 'Three wrong PINs in a row block the card. The card does not tell how many tries are left.',
  'pin.wrong': 'Wrong PIN.',
  'pin.last_try':
    'Careful: two wrong PINs. If the card had one wrong PIN before, one more wrong PIN blocks it. If you are not sure of your PIN, cancel and find the letter with your PIN and PUK codes.',
  'pin.length': 'The PIN of a Belgian eID has 4 to 12 digits.',
  'choose.title': 'Which eID card?',
  'choose.intro': 'Several eID cards are in your card readers. Choose the card to identify you with: the PIN goes to that card only.',
  'choose.card': '{holder}, in {reader}',
  'choose.submit': 'Continue',
  'pinpad.title': 'Type your PIN on the card reader',
  'pinpad.start': 'Type my PIN on the card reader',
  'pinpad.body': 'Type the PIN of the card of {holder} on the keypad of your card reader ({reader}) and confirm on the reader. Do not type it on the computer.',
  'done.title': 'Identified',
  'done.body': 'You are identified to {host}. You can close this window and go back to the website.',
  'failed.title': 'Not identified',
  'failed.cancelled': 'Cancelled. You can close this window; start again from the website if you wish.',
  'failed.timeout': 'The PIN was not entered in time. Start again from the website.',
  'failed.pin_locked': 'Your PIN is blocked after three wrong PINs. Ask your municipality for your PUK code to unblock it.',
  'failed.card_removed': 'The card was removed. Insert it again and start again from the website.',
  'not_found.title': 'Request not found',
  'not_found.body': 'This eID request does not exist or has ended: start again from the website.',
  'refused.title': 'Refused',
  'refused.form': 'This form is not valid any more: start again from the website.',
  'home.title': 'The card bridge is running',
  'home.card': 'An eID card is in the card reader.',
  'home.no_card': 'A card reader is connected, but no eID card is in it.',
  'home.no_reader': 'No card reader found. Connect your card reader; if it is connected, install the eID software from eid.belgium.be.',
  'home.body': 'There is nothing to do on this page: go back to the website that asked for your eID card.',
};

export type TextKey = keyof typeof en;
export const TEXT_KEYS = Object.keys(en) as TextKey[];

const TEXTS: Record<Language, Record<TextKey, string>> = {
  en,
  nl: {
    'bridge.name': 'Kaartbrug',
    'pin.title': 'Geef de pincode van uw eID',
    'pin.asks': 'vraagt om u te identificeren met uw Belgische eID-kaart.',
    'pin.card': 'Kaart van {holder}',
    'pin.card_number': 'kaartnummer {number}',
    'pin.label': 'Pincode (4 tot 12 cijfers)',
    'pin.submit': 'Identificeer mij',
    'pin.cancel': 'Annuleren',
    'pin.only_here': 'Typ uw pincode alleen als u dit zelf op {host} gestart hebt. Uw pincode blijft op deze computer: de website ziet hem nooit.',
    'pin.tries': 'Drie foute pincodes na elkaar blokkeren de kaart. De kaart zegt niet hoeveel pogingen er nog over zijn.',
    'pin.wrong': 'Foute pincode.',
    'pin.last_try':
      'Opgelet: twee foute pincodes. Als de kaart al eerder een foute pincode kreeg, blokkeert nog één foute pincode ze. Bent u niet zeker van uw pincode, annuleer dan en zoek de brief met uw pin- en pukcode.',
    'pin.length': 'De pincode van een Belgische eID heeft 4 tot 12 cijfers.',
    'choose.title': 'Welke eID-kaart?',
    'choose.intro': 'Er zitten meerdere eID-kaarten in uw kaartlezers. Kies de kaart waarmee u zich identificeert: de pincode gaat alleen naar die kaart.',
    'choose.card': '{holder}, in {reader}',
    'choose.submit': 'Verder',
    'pinpad.title': 'Typ uw pincode op de kaartlezer',
    'pinpad.start': 'Mijn pincode op de kaartlezer typen',
    'pinpad.body':
      'Typ de pincode van de kaart van {holder} op het toetsenbord van uw kaartlezer ({reader}) en bevestig op de lezer. Typ hem niet op de computer.',
    'done.title': 'Geïdentificeerd',
    'done.body': 'U bent geïdentificeerd bij {host}. U kunt dit venster sluiten en teruggaan naar de website.',
    'failed.title': 'Niet geïdentificeerd',
    'failed.cancelled': 'Geannuleerd. U kunt dit venster sluiten; begin opnieuw op de website als u dat wilt.',
    'failed.timeout': 'De pincode werd niet op tijd ingegeven. Begin opnieuw op de website.',
    'failed.pin_locked': 'Uw pincode is geblokkeerd na drie foute pincodes. Vraag uw pukcode aan uw gemeente om hem te deblokkeren.',
    'failed.card_removed': 'De kaart werd verwijderd. Steek ze opnieuw in en begin opnieuw op de website.',
    'not_found.title': 'Aanvraag niet gevonden',
    'not_found.body': 'Deze eID-aanvraag bestaat niet of is afgelopen: begin opnieuw op de website.',
    'refused.title': 'Geweigerd',
    'refused.form': 'Dit formulier is niet meer geldig: begin opnieuw op de website.',
    'home.title': 'De kaartbrug werkt',
    'home.card': 'Er zit een eID-kaart in de kaartlezer.',
    'home.no_card': 'Er is een kaartlezer aangesloten, maar er zit geen eID-kaart in.',
    'home.no_reader': 'Geen kaartlezer gevonden. Sluit uw kaartlezer aan; is hij aangesloten, installeer dan de eID-software van eid.belgium.be.',
    'home.body': 'Op deze pagina hoeft u niets te doen: ga terug naar de website die om uw eID-kaart vroeg.',
  },
  fr: {
    'bridge.name': 'Pont de carte',
    'pin.title': 'Introduisez le code PIN de votre eID',
    'pin.asks': 'demande à vous identifier avec votre carte eID belge.',
    'pin.card': 'Carte de {holder}',
    'pin.card_number': 'numéro de carte {number}',
    'pin.label': 'Code PIN (4 à 12 chiffres)',
    'pin.submit': 'M’identifier',
    'pin.cancel': 'Annuler',
    'pin.only_here':
      'Ne tapez votre code PIN que si vous avez commencé ceci vous-même sur {host}. Votre code PIN reste sur cet ordinateur : le site ne le voit jamais.',
    'pin.tries': 'Trois codes PIN erronés de suite bloquent la carte. La carte ne dit pas combien d’essais il reste.',
    'pin.wrong': 'Code PIN erroné.',
    'pin.last_try':
      'Attention : deux codes PIN erronés. Si la carte avait déjà reçu un code erroné, un code erroné de plus la bloque. Si vous n’êtes pas sûr de votre code, annulez et cherchez la lettre avec vos codes PIN et PUK.',
    'pin.length': 'Le code PIN d’une eID belge a 4 à 12 chiffres.',
    'choose.title': 'Quelle carte eID ?',
    'choose.intro': 'Plusieurs cartes eID sont dans vos lecteurs. Choisissez la carte avec laquelle vous identifier : le code PIN va à cette carte seulement.',
    'choose.card': '{holder}, dans {reader}',
    'choose.submit': 'Continuer',
    'pinpad.title': 'Tapez votre code PIN sur le lecteur de carte',
    'pinpad.start': 'Taper mon code PIN sur le lecteur de carte',
    'pinpad.body':
      'Tapez le code PIN de la carte de {holder} sur le clavier de votre lecteur ({reader}) et confirmez sur le lecteur. Ne le tapez pas sur l’ordinateur.',
    'done.title': 'Identifié',
    'done.body': 'Vous êtes identifié auprès de {host}. Vous pouvez fermer cette fenêtre et revenir au site.',
    'failed.title': 'Non identifié',
    'failed.cancelled': 'Annulé. Vous pouvez fermer cette fenêtre ; recommencez depuis le site si vous le souhaitez.',
    'failed.timeout': 'Le code PIN n’a pas été introduit à temps. Recommencez depuis le site.',
    'failed.pin_locked': 'Votre code PIN est bloqué après trois codes erronés. Demandez votre code PUK à votre commune pour le débloquer.',
    'failed.card_removed': 'La carte a été retirée. Réinsérez-la et recommencez depuis le site.',
    'not_found.title': 'Demande introuvable',
    'not_found.body': 'Cette demande eID n’existe pas ou est terminée : recommencez depuis le site.',
    'refused.title': 'Refusé',
    'refused.form': 'Ce formulaire n’est plus valable : recommencez depuis le site.',
    'home.title': 'Le pont de carte fonctionne',
    'home.card': 'Une carte eID est dans le lecteur de carte.',
    'home.no_card': 'Un lecteur de carte est branché, mais aucune carte eID n’y est insérée.',
    'home.no_reader': 'Aucun lecteur de carte trouvé. Branchez votre lecteur de carte ; s’il est branché, installez le logiciel eID depuis eid.belgium.be.',
    'home.body': 'Il n’y a rien à faire sur cette page : revenez au site qui a demandé votre carte eID.',
  },
  de: {
    'bridge.name': 'Kartenbrücke',
    'pin.title': 'Geben Sie die PIN Ihrer eID ein',
    'pin.asks': 'möchte Sie mit Ihrem belgischen eID-Ausweis identifizieren.',
    'pin.card': 'Karte von {holder}',
    'pin.card_number': 'Kartennummer {number}',
    'pin.label': 'PIN (4 bis 12 Ziffern)',
    'pin.submit': 'Mich identifizieren',
    'pin.cancel': 'Abbrechen',
    'pin.only_here':
      'Geben Sie Ihre PIN nur ein, wenn Sie dies selbst auf {host} begonnen haben. Ihre PIN bleibt auf diesem Computer: die Website sieht sie nie.',
    'pin.tries': 'Drei falsche PINs hintereinander sperren die Karte. Die Karte sagt nicht, wie viele Versuche bleiben.',
    'pin.wrong': 'Falsche PIN.',
    'pin.last_try':
      'Vorsicht: zwei falsche PINs. Falls die Karte schon vorher eine falsche PIN erhielt, sperrt eine weitere falsche PIN sie. Wenn Sie Ihrer PIN nicht sicher sind, brechen Sie ab und suchen Sie den Brief mit Ihrer PIN und PUK.',
    'pin.length': 'Die PIN einer belgischen eID hat 4 bis 12 Ziffern.',
    'choose.title': 'Welche eID-Karte?',
    'choose.intro': 'Mehrere eID-Karten stecken in Ihren Kartenlesern. Wählen Sie die Karte, mit der Sie sich identifizieren: die PIN geht nur an diese Karte.',
    'choose.card': '{holder}, in {reader}',
    'choose.submit': 'Weiter',
    'pinpad.title': 'Geben Sie Ihre PIN am Kartenleser ein',
    'pinpad.start': 'Meine PIN am Kartenleser eingeben',
    'pinpad.body':
      'Geben Sie die PIN der Karte von {holder} auf der Tastatur Ihres Kartenlesers ({reader}) ein und bestätigen Sie am Leser. Tippen Sie sie nicht am Computer ein.',
    'done.title': 'Identifiziert',
    'done.body': 'Sie sind bei {host} identifiziert. Sie können dieses Fenster schließen und zur Website zurückkehren.',
    'failed.title': 'Nicht identifiziert',
    'failed.cancelled': 'Abgebrochen. Sie können dieses Fenster schließen; beginnen Sie auf der Website neu, wenn Sie möchten.',
    'failed.timeout': 'Die PIN wurde nicht rechtzeitig eingegeben. Beginnen Sie auf der Website neu.',
    'failed.pin_locked': 'Ihre PIN ist nach drei falschen PINs gesperrt. Fragen Sie Ihre Gemeinde nach Ihrer PUK, um sie zu entsperren.',
    'failed.card_removed': 'Die Karte wurde entfernt. Stecken Sie sie wieder ein und beginnen Sie auf der Website neu.',
    'not_found.title': 'Anfrage nicht gefunden',
    'not_found.body': 'Diese eID-Anfrage besteht nicht oder ist beendet: beginnen Sie auf der Website neu.',
    'refused.title': 'Abgelehnt',
    'refused.form': 'Dieses Formular ist nicht mehr gültig: beginnen Sie auf der Website neu.',
    'home.title': 'Die Kartenbrücke läuft',
    'home.card': 'Eine eID-Karte steckt im Kartenleser.',
    'home.no_card': 'Ein Kartenleser ist angeschlossen, aber es steckt keine eID-Karte darin.',
    'home.no_reader':
      'Kein Kartenleser gefunden. Schließen Sie Ihren Kartenleser an; ist er angeschlossen, installieren Sie die eID-Software von eid.belgium.be.',
    'home.body': 'Auf dieser Seite ist nichts zu tun: Kehren Sie zur Website zurück, die nach Ihrer eID-Karte gefragt hat.',
  },
};

/** The text in `lang` with its placeholders filled (unescaped: the page escapes). */
export function text(lang: Language, key: TextKey, params: Record<string, string> = {}): string {
  return TEXTS[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}

/** The localised outcome of a failure when the page has one for its code, else the bridge's own message. */
export function failureText(lang: Language, code: string, fallback: string): string {
  const key = `failed.${code}` as TextKey;
  return key in en ? text(lang, key) : fallback;
}
