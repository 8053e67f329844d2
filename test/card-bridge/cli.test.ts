// The test cards (`npm run test-cards`), `eid-bridge status` and `read` as a citizen or developer runs them: child processes whose
// SOFTHSM2_CONF names this file's own temporary token folder.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../helpers/components.ts';
import { freePort, pollUntil, removeVirtualCards, runCli, runTestCards, startOcspResponder, TEST_CARDS, virtualCard, type VirtualCard } from './helpers.ts';

const HOLDER = ['--national-number', '85.07.31-003.28', '--surname', 'Peeters', '--given-names', 'Jan Karel Maria', '--card-number', '592-1234567-89'];

describe.skipIf(!has('softhsm'))('eid-bridge on a virtual eID', () => {
  let card: VirtualCard;
  let provisioned: string;
  let ocspPort: number;

  beforeAll(async () => {
    ocspPort = await freePort();
    card = await virtualCard(undefined);
    const result = await runTestCards([...HOLDER, '--ocsp-url', `http://127.0.0.1:${ocspPort}`], card.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    provisioned = result.stdout;
  });
  afterAll(removeVirtualCards);

  const read = async (env = card.env) => {
    const result = await runCli(['read'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown> & { card: Record<string, string> };
  };

  it('provisions a BELPIC token and writes the test PKI next to it', () => {
    expect(provisioned).toContain('Virtual Belgian eID (token BELPIC) for Jan Karel Maria Peeters, national number 85073100328, card 592123456789');
    expect(provisioned).toContain(card.conf);
    expect(provisioned).toContain(`openssl ocsp -index "${join(card.pki, 'index.txt')}"`);
    for (const file of [
      'root.pem',
      'root.key',
      'citizen-ca.pem',
      'citizen-ca.key',
      'ocsp-responder.pem',
      'ocsp-responder.key',
      'authentication.pem',
      'signature.pem',
      'index.txt',
    ]) {
      expect(existsSync(join(card.pki, file)), file).toBe(true);
    }
    const root = new X509Certificate(readFileSync(join(card.pki, 'root.pem')));
    const ca = new X509Certificate(readFileSync(join(card.pki, 'citizen-ca.pem')));
    const auth = new X509Certificate(readFileSync(join(card.pki, 'authentication.pem')));
    const signature = new X509Certificate(readFileSync(join(card.pki, 'signature.pem')));
    expect(root.subject).toBe('C=BE\nCN=Belgium Root CA (TEST)');
    expect(ca.verify(root.publicKey) && auth.verify(ca.publicKey) && signature.verify(ca.publicKey)).toBe(true);
    expect(auth.subject).toBe('C=BE\nCN=Jan Karel Maria Peeters (Authentication)\nSN=Peeters\nGN=Jan Karel Maria\nserialNumber=85073100328');
    expect(auth.infoAccess).toContain(`OCSP - URI:http://127.0.0.1:${ocspPort}`);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(card.pki, 'authentication.pem')], { encoding: 'utf8' });
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).toContain('Policy: 2.16.56.12.1.1.2.2');
    expect(execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(card.pki, 'signature.pem')], { encoding: 'utf8' })).toMatch(
      /Key Usage: critical\s+Non Repudiation\n/,
    );
    expect(readFileSync(join(card.pki, 'index.txt'), 'utf8')).toContain(
      `\t${auth.serialNumber.replace(/^(00)+/, '')}\tunknown\t/C=BE/CN=Jan Karel Maria Peeters (Authentication)`,
    );
  });

  it('--serve-ocsp answers for the card it made, as the printed command says, until it is stopped', async () => {
    expect(provisioned).toContain(
      `OCSP responder for http://127.0.0.1:${ocspPort}: npm run test-cards -- --serve-ocsp --ocsp-url http://127.0.0.1:${ocspPort}\n`,
    );
    const responder = spawn(process.execPath, [TEST_CARDS, '--serve-ocsp', '--ocsp-url', `http://127.0.0.1:${ocspPort}`], { env: card.env, stdio: 'pipe' });
    let stderr = '';
    responder.stderr.on('data', (d) => (stderr += d));
    await pollUntil(async () => (stderr.includes('waiting for OCSP client connections') ? true : undefined), 5000, 'the responder');
    const f = (name: string) => join(card.pki, name);
    // A stray connection (a port probe, a browser) does not stop it.
    await fetch(`http://127.0.0.1:${ocspPort}/`).catch(() => undefined);
    const query = ['ocsp', '-issuer', f('citizen-ca.pem'), '-cert', f('authentication.pem'), '-url', `http://127.0.0.1:${ocspPort}`, '-noverify'];
    expect(execFileSync('openssl', query, { encoding: 'utf8' })).toContain(`${f('authentication.pem')}: good`);
    const exited = new Promise((resolve) => responder.once('exit', (code, signal) => resolve(code ?? signal)));
    responder.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('--serve-ocsp without a test PKI says what to run first', async () => {
    const result = await runTestCards(['--serve-ocsp', '--out', join(card.pki, 'nothing-here')], card.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('run npm run test-cards first');
  });

  it('status shows the module, the slots and the eID', async () => {
    const json = await runCli(['status', '--json'], card.env);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status).toMatchObject({
      module: { path: '/usr/lib/softhsm/libsofthsm2.so', description: expect.stringContaining('SoftHSM') },
      eidPresent: true,
      pinPad: false,
    });
    expect(status.readers.filter((r: { tokenLabel?: string }) => r.tokenLabel === 'BELPIC')).toHaveLength(1);
    const text = await runCli(['status'], card.env);
    expect(text.stdout).toMatch(/^PKCS#11 module: \/usr\/lib\/softhsm\/libsofthsm2\.so/);
    expect(text.stdout).toContain('Belgian eID (BELPIC); PIN pad: no');
    expect(text.stdout).toContain('Belgian eID present; PIN pad: no');
  });

  it('finds the module and the project-local virtual card by itself', async () => {
    const { EID_PKCS11_MODULE: _module, SOFTHSM2_CONF: _conf, ...env } = card.env;
    // No module before SoftHSM2 in the default list shows an eID here, so SoftHSM2 is chosen.
    const result = await runCli(['status', '--json'], env, '', card.dir);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ module: { path: '/usr/lib/softhsm/libsofthsm2.so' }, eidPresent: true });
  });

  it('read prints the holder from the certificate and the data objects as JSON', async () => {
    expect(await read()).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      reader: expect.stringContaining('SoftHSM slot'),
      nationalNumber: '85073100328',
      surname: 'Peeters',
      givenNames: 'Jan Karel Maria',
      card: {
        cardNumber: '592123456789',
        chipNumber: expect.stringMatching(/^[0-9A-F]{32}$/),
        validityBeginDate: expect.stringMatching(/^\d\d\.\d\d\.\d{4}$/),
        validityEndDate: expect.stringMatching(/^\d\d\.\d\d\.\d{4}$/),
        issuingMunicipality: 'Brussel',
        nationalNumber: '85073100328',
        surname: 'Peeters',
        firstnames: 'Jan Karel',
        firstLetterOfThirdGivenName: 'M',
        nationality: 'Belg',
        locationOfBirth: 'Brussel',
        dateOfBirth: '31 JUL 1985',
        gender: 'M',
        addressStreetAndNumber: 'Wetstraat 16',
        addressZip: '1000',
        addressMunicipality: 'Brussel',
        photoHash: expect.stringMatching(/^[0-9A-F]{64}$/),
      },
    });
  });

  it.skipIf(!has('openssl'))('the written index.txt lets openssl ocsp answer "good" for the card', async () => {
    const responder = await startOcspResponder(card.pki, ocspPort);
    try {
      const f = (name: string) => join(card.pki, name);
      const answer = execFileSync(
        'openssl',
        [
          'ocsp',
          '-issuer',
          f('citizen-ca.pem'),
          '-cert',
          f('authentication.pem'),
          '-url',
          `http://127.0.0.1:${ocspPort}`,
          '-CAfile',
          f('root.pem'),
          '-verify_other',
          f('citizen-ca.pem'),
        ],
        { encoding: 'utf8', stdio: 'pipe' },
      );
      expect(answer).toContain(`${f('authentication.pem')}: good`);
    } finally {
      void responder.stop();
    }
  });

  it('refuses a national number with a wrong check digit, leaving the card as it was', async () => {
    const result = await runTestCards(['--national-number', '85073100329'], card.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'National number 85073100329 has wrong check digits: expected 28 (born before 2000) or 57 (born 2000 or later) [national_number_invalid]',
    );
    expect((await read()).nationalNumber).toBe('85073100328');
  });

  it.each([
    [['--pin', '12'], '--pin: the PIN of a Belgian eID has 4 to 12 digits'],
    [['--key', 'dsa'], '--key'],
    [['--card-number', '12'], '--card-number: a card number has 12 digits'],
    [['--surname', ''], '--surname'],
  ])('refuses %j', async (args, message) => {
    const result = await runTestCards(args, card.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('[bad_request]');
  });

  it('re-provisioning replaces the BELPIC token and keeps the test PKI', async () => {
    const root = readFileSync(join(card.pki, 'root.pem'), 'utf8');
    const result = await runTestCards(
      ['--national-number', '01050399864', '--surname', 'Specimen', '--given-names', 'Nora Angèle', '--ocsp-url', `http://127.0.0.1:${ocspPort}`],
      card.env,
    );
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse((await runCli(['status', '--json'], card.env)).stdout);
    expect(status.readers.filter((r: { tokenLabel?: string }) => r.tokenLabel === 'BELPIC')).toHaveLength(1);
    expect(await read()).toMatchObject({ nationalNumber: '01050399864', surname: 'Specimen', card: { dateOfBirth: '03 MEI 2001', gender: 'V' } });
    expect(readFileSync(join(card.pki, 'root.pem'), 'utf8')).toBe(root);
  });

  it('says what is missing: no eID token, no module', async () => {
    const bare = await virtualCard(undefined);
    mkdirSync(join(bare.dir, 'tokens'));
    writeFileSync(bare.conf.replace('.softhsm/softhsm2.conf', 'softhsm2.conf'), `directories.tokendir = ${join(bare.dir, 'tokens')}\n`);
    const none = await runCli(['status'], { ...bare.env, SOFTHSM2_CONF: join(bare.dir, 'softhsm2.conf') });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No Belgian eID: The card in the reader is not a Belgian eID: insert your eID card');
    const noModule = await runCli(['read'], { ...card.env, EID_PKCS11_MODULE: '/nonexistent/module.so' });
    expect(noModule.code).toBe(1);
    expect(noModule.stderr).toMatch(/Cannot load the PKCS#11 module \/nonexistent\/module\.so: .*\[no_module\]/);
  });

  it('refuses bad settings and unknown options', async () => {
    const port = await runCli(['serve', '--port', 'http'], card.env);
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('EID_BRIDGE_PORT="http": expected a port number');
    const origins = await runCli(['serve'], { ...card.env, EID_BRIDGE_ALLOWED_ORIGINS: 'https://idp.example.be/login' });
    expect(origins.stderr).toContain('is not an origin');
    const option = await runCli(['read', '--bogus'], card.env);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--bogus'");
  });
});
