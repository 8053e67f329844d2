// Two eIDs in two readers (two SoftHSM tokens in one configuration): the bridge's page lists them by holder and
// reader, the person picks one, and the PIN goes to that card only. With the PIN in the terminal, which cannot
// ask, the bridge refuses rather than guess. `eid-bridge activate` asks in the terminal, or takes --card.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../helpers/components.ts';
import {
  type Daemon,
  randomNonce,
  removeVirtualCards,
  runCli,
  runCliInTerminal,
  runTestCards,
  startServe,
  virtualCard,
  type VirtualCard,
  webEidSignatureValid,
} from './helpers.ts';

const ORIGIN = 'https://idp.example.be';
const JAN = { pin: '1357', name: 'Jan Karel Specimen', nationalNumber: '85073100328' };
const NORA = { pin: '8642', name: 'Nora Angèle Specimen', nationalNumber: '01050399864', cardNumber: '591937264510' };

describe.skipIf(!has('softhsm'))('two eID cards in two readers', () => {
  let card: VirtualCard;
  let daemon: Daemon;
  /** The OCSP responder's database after the first card: its two certificates. */
  let janIndex: string;

  beforeAll(async () => {
    card = await virtualCard(['--pin', JAN.pin]);
    janIndex = readFileSync(join(card.pki, 'index.txt'), 'utf8');
    const second = await runTestCards(
      ['--add', '--pin', NORA.pin, '--national-number', NORA.nationalNumber, '--given-names', 'Nora Angèle', '--card-number', NORA.cardNumber],
      card.env,
    );
    expect(second.code, second.stderr).toBe(0);
    daemon = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: ORIGIN });
  });
  afterAll(async () => {
    await daemon?.stop();
    removeVirtualCards();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, daemon.url), { ...init, headers: { origin: ORIGIN, 'content-type': 'application/json' } });
  const post = (url: string, form: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { origin: daemon.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  it('asks which card before the PIN, and sends the PIN to the chosen card only', async () => {
    const nonce = randomNonce();
    const op = await (await api('/authenticate', { method: 'POST', body: JSON.stringify({ nonce }) })).json();
    expect(op).toMatchObject({ state: 'pin_required', pinSource: 'page', pinUrl: expect.any(String) });

    const choice = await (await fetch(op.pinUrl)).text();
    expect(choice).toContain('<h1>Which eID card?</h1>');
    expect(choice).not.toContain('name="pin"');
    const options = [...choice.matchAll(/<input type="radio" name="card" value="(\d+)"[^>]*> <span>([^<]+)<\/span>/g)].map((m) => ({
      slot: m[1]!,
      label: m[2]!,
    }));
    expect(options.map((o) => o.label).sort()).toEqual([
      expect.stringMatching(/^Jan Karel Specimen, in SoftHSM slot ID 0x[0-9a-f]+ \(card number 592-1234567-89\)$/),
      expect.stringMatching(/^Nora Angèle Specimen, in SoftHSM slot ID 0x[0-9a-f]+ \(card number 591-9372645-10\)$/),
    ]);
    const csrf = /name="csrf" value="([^"]+)"/.exec(choice)![1]!;

    const nora = options.find((o) => o.label.startsWith('Nora'))!;
    const pinForm = await (await post(op.pinUrl, { csrf, card: nora.slot })).text();
    expect(pinForm).toContain('<p id="card">Card of Nora Angèle Specimen, card number 591-9372645-10</p>');
    expect(pinForm).toContain('name="pin"');

    // Jan's PIN is wrong for Nora's card: it did not go to his.
    const wrong = await post(op.pinUrl, { csrf, pin: JAN.pin });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong PIN.');
    expect((await post(op.pinUrl, { csrf, pin: NORA.pin })).status).toBe(200);

    const done = await (await api(`/operations/${op.operationId}`)).json();
    expect(done).toMatchObject({ state: 'done', identity: { nationalNumber: NORA.nationalNumber, givenNames: 'Nora Angèle' } });
    expect(webEidSignatureValid(done.authToken, ORIGIN, nonce)).toBe(true);
  });

  it("keeps the first card's certificates in the OCSP responder's database beside the second's", () => {
    const index = readFileSync(join(card.pki, 'index.txt'), 'utf8');
    expect(janIndex.trim().split('\n')).toHaveLength(2);
    expect(index.startsWith(janIndex)).toBe(true);
    expect(index.trim().split('\n')).toHaveLength(4);
    expect(index).toContain('Nora Angèle');
  });

  it('refuses to pick a card for the terminal', async () => {
    const terminal = await startServe({ ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: ORIGIN }, ['--pin-from-terminal'], { terminal: true });
    try {
      const res = await fetch(`${terminal.url}/authenticate`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ nonce: randomNonce() }),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: 'several_cards', message: expect.stringContaining('leave only the card to use') });
    } finally {
      await terminal.stop();
    }
  });

  // Nothing answers on this port: reaching it shows the card was settled, before any flow was asked for.
  const provider = 'http://127.0.0.1:9';
  const unreachable = 'Cannot reach the provider at http://127.0.0.1:9';

  it('activate refuses to pick a card when no one can answer, naming the cards and --card', async () => {
    const result = await runCli(['activate', '--provider', provider, '--mobile', '0470123456'], card.env, `${NORA.pin}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Several eID cards are inserted: name the one to use with --card, or leave only that card in a reader.');
    expect(result.stderr).toMatch(/--card \d+: Jan Karel Specimen, in SoftHSM slot ID 0x[0-9a-f]+ \(card number 592-1234567-89\)/);
    expect(result.stderr).toMatch(/--card \d+: Nora Angèle Specimen, in SoftHSM slot ID/);
    expect(result.stderr).toContain('[several_cards]');
  });

  it('activate takes the card --card names, and refuses a slot without one', async () => {
    const listed = await runCli(['activate', '--provider', provider, '--mobile', '0470123456'], card.env);
    const slot = /--card (\d+): Nora/.exec(listed.stderr)![1]!;
    const named = await runCli(['activate', '--provider', provider, '--mobile', '0470123456', '--card', slot], card.env, `${NORA.pin}\n`);
    expect(named.stderr).toContain(unreachable);
    const wrong = await runCli(['activate', '--provider', provider, '--mobile', '0470123456', '--card', '999'], card.env);
    expect(wrong.stderr).toContain('No eID card in slot 999. The cards inserted:');
  });

  it('activate asks which card in a terminal', async () => {
    const result = await runCliInTerminal(['activate', '--provider', provider, '--mobile', '0470123456'], card.env, '7\r2\r');
    expect(result.stdout).toContain('Several eID cards are inserted:');
    expect(result.stdout).toMatch(/ {2}[12]\. Jan Karel Specimen, in SoftHSM slot ID/);
    expect(result.stdout).toMatch(/ {2}[12]\. Nora Angèle Specimen, in SoftHSM slot ID/);
    expect(result.stdout).toContain('Type a number from 1 to 2, or Ctrl-C to stop.');
    expect(result.stdout).toContain(unreachable);
  });
});
