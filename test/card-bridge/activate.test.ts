// `eid-bridge activate` against a stub of the provider's reactivation endpoints (the contract in
// card-bridge/contract/reactivation.ts): the stub checks the token's signature the way the provider will.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebEidAuthToken } from '../../card-bridge/web-eid.ts';
import { has } from '../helpers/components.ts';
import { removeVirtualCards, runCli, virtualCard, type VirtualCard, webEidSignatureValid } from './helpers.ts';

const PIN = '8642';

interface TokenRequest {
  flowId: string;
  authToken: WebEidAuthToken;
  cardNumber: string;
}

describe.skipIf(!has('softhsm'))('eid-bridge activate', () => {
  let card: VirtualCard;
  let server: Server;
  let provider: string;
  const flows = new Map<string, { mobile: string; nonce: string; flowSecret: string }>();
  const tokenRequests: TokenRequest[] = [];

  const json = async (req: IncomingMessage) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    return JSON.parse(body);
  };

  beforeAll(async () => {
    card = await virtualCard(['--pin', PIN]);
    server = createServer(async (req, res) => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const body = await json(req);
      if (req.url === '/idp/eid/reactivation/nonce') {
        if (body.mobile === '+32470999999') return send(404, { error: 'unknown_mobile', message: 'No account uses this mobile number' });
        const flowId = randomBytes(8).toString('hex');
        const nonce = randomBytes(32).toString('base64');
        const flowSecret = randomBytes(32).toString('base64url');
        flows.set(flowId, { mobile: body.mobile, nonce, flowSecret });
        return send(200, { flowId, flowSecret, nonce });
      }
      if (req.url === '/idp/eid/reactivation/token') {
        tokenRequests.push(body);
        const flow = flows.get(body.flowId);
        // The flow is the terminal's: its secret travels with the card's answer.
        if (!flow || body.flowSecret !== flow.flowSecret) return send(403, { error: 'flow_elsewhere', message: 'This flow was started elsewhere' });
        if (!webEidSignatureValid(body.authToken, provider.replace(/\/idp$/, ''), flow.nonce))
          return send(400, { error: 'token_invalid', message: 'The eID signature is not valid' });
        return send(200, { cardNumber: '592-1234567-89', activationToken: 'K7Q2XA' });
      }
      send(404, { error: 'not_found', message: 'no such endpoint' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = `http://127.0.0.1:${(server.address() as AddressInfo).port}/idp`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    removeVirtualCards();
  });

  const activate = (mobile: string, pin = PIN, env = card.env) => runCli(['activate', '--provider', provider, '--mobile', mobile], env, `${pin}\n`);

  it("signs the provider's nonce for its origin and prints the 6-character activation code", async () => {
    const result = await activate('0470 12 34 56');
    expect(result.stderr).toContain('PIN of your eID, to identify you to http://127.0.0.1:');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Card number: 592-1234567-89\nActivation code: K7Q2XA\n');
    // The code is typed on the provider's page on the device being reactivated, not in any app.
    expect(result.stderr).toContain(
      `On the device you want to use, open the login page of ${provider}, choose "Reactivate my account", then "I have an activation code", and type the same mobile number and this activation code.`,
    );
    expect(result.stderr).not.toContain('in the app');
    // As typed, without separators: the provider reads it with its own region, the bridge assumes none.
    expect([...flows.values()].at(-1)?.mobile).toBe('0470123456');
    expect(tokenRequests.at(-1)).toMatchObject({ cardNumber: '592123456789', authToken: { format: 'web-eid:1.0', algorithm: 'ES384' } });
    expect(result.stdout + result.stderr).not.toContain(PIN);
  });

  it('stops at a wrong PIN before sending anything', async () => {
    const before = tokenRequests.length;
    const result = await activate('+32470123456', '1111');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Wrong PIN');
    expect(result.stderr).toContain('[pin_incorrect]');
    expect(tokenRequests).toHaveLength(before);
  });

  it("shows the provider's own message when it refuses", async () => {
    const result = await activate('+32470999999');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The provider refused (404): No account uses this mobile number [provider_error]');
  });

  it('refuses a mobile number that is not one, and a provider without https, before any request', async () => {
    const flowsBefore = flows.size;
    const bad = await activate('12');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--mobile: "12" is not a phone number');
    const plain = await runCli(['activate', '--provider', 'http://idp.example.be', '--mobile', '+32470123456'], card.env, `${PIN}\n`);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('the provider must use https (http only for localhost) [config_invalid]');
    expect(flows.size).toBe(flowsBefore);
  });
});
