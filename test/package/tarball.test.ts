// `belid/eid` is the module's public address: the package's own "exports" map must resolve it under plain Node 24
// (type stripping, no bundler), the way a relying party or the provider imports it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { validateEidAuthToken } from 'belid/eid';
import * as direct from '../../provider/eid/index.ts';
import { WEB_EID_FIXTURES } from '../helpers/web-eid-fixtures.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));

it('resolves to provider/eid/index.ts in this process', () => {
  expect(validateEidAuthToken).toBe(direct.validateEidAuthToken);
});

it("validates a real Belgian test-card token through `import { validateEidAuthToken } from 'belid/eid'`", () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import { validateEidAuthToken, isEidError } from 'belid/eid';
    const dir = ${JSON.stringify(WEB_EID_FIXTURES)};
    const data = JSON.parse(readFileSync(dir + 'belgian-test-card-tokens.json', 'utf8'));
    const [{ token, nonce }] = data.tokens;
    const options = { origin: data.origin, trustAnchors: readFileSync(dir + 'eID-TEST-EC-Citizen-CA.pem', 'utf8'), now: new Date(data.validAt), revocation: false };
    const identity = await validateEidAuthToken(token, { ...options, nonce });
    const refused = await validateEidAuthToken(token, { ...options, nonce: nonce + 'x' }).catch((e) => isEidError(e) && e.code);
    console.log(JSON.stringify({ node: process.versions.node, nationalNumber: identity.nationalNumber, refused }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repository, encoding: 'utf8' });
  const result = JSON.parse(output) as { node: string; nationalNumber: string; refused: string };
  expect(Number(result.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  expect(result).toMatchObject({ nationalNumber: '01050399864', refused: 'signature_invalid' });
});
