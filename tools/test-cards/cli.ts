#!/usr/bin/env node
// `npm run test-cards -- [options]`: a virtual Belgian eID in SoftHSM2 with a test PKI, for development and the
// tests. A development tool, not part of the citizen's `eid-bridge` command.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { pinSchema } from '../../card-bridge/card.ts';
import { BridgeError } from '../../card-bridge/errors.ts';
import { parseNationalNumber } from '../../card-bridge/national-number.ts';
import { toBridgeError } from '../../card-bridge/pkcs11/errors.ts';
import { softHsmConfPath } from './conf.ts';
import { ocspResponderArgs, ocspResponderCommand, pkiResponderFiles, PKI_FILES } from './pki-files.ts';
import { provisionSoftHsm } from './provision.ts';

const USAGE = `Usage: npm run test-cards -- [--national-number NN] [--surname S] [--given-names G] [--card-number N] [--pin PIN]
                             [--key ec-p384|rsa-2048] [--ocsp-url URL] [--ca-issuers-url URL] [--out DIR]
                             [--style beid|opensc] [--add] [--module PATH]
       npm run test-cards -- --serve-ocsp [--ocsp-url URL] [--out DIR]

Creates a virtual Belgian eID in SoftHSM2 (development and tests): shown as beid shows a card, or as OpenSC does
(no identity objects); --add keeps the cards already there, as a second card in a second reader.
Uses SOFTHSM2_CONF when set, else ./.softhsm/softhsm2.conf; --module defaults to EID_SOFTHSM_MODULE or
/usr/lib/softhsm/libsofthsm2.so.
--serve-ocsp answers the provider's OCSP requests about the virtual cards (openssl ocsp, in the foreground, on the
port of --ocsp-url): the provider refuses a card whose status it cannot learn.
`;

const OPTIONS = {
  'national-number': { type: 'string', default: '85073100328' },
  surname: { type: 'string', default: 'Specimen' },
  'given-names': { type: 'string', default: 'Jan Karel' },
  'card-number': { type: 'string', default: '592123456789' },
  pin: { type: 'string', default: '1234' },
  key: { type: 'string', default: 'ec-p384' },
  'ocsp-url': { type: 'string', default: 'http://127.0.0.1:2560' },
  'ca-issuers-url': { type: 'string' },
  out: { type: 'string' },
  style: { type: 'string', default: 'beid' },
  add: { type: 'boolean' },
  module: { type: 'string' },
  'serve-ocsp': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const options = z.object({
  surname: z.string().trim().min(1).max(100),
  'given-names': z.string().trim().min(1).max(100),
  'card-number': z
    .string()
    .transform((s) => s.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12}$/, 'a card number has 12 digits')),
  pin: pinSchema,
  key: z.enum(['ec-p384', 'rsa-2048']),
  'ocsp-url': z.url({ protocol: /^https?$/ }),
  // Where the card's certificates say their CA is published, as Belgian cards since 2017 do.
  'ca-issuers-url': z.url({ protocol: /^https?$/ }).optional(),
  style: z.enum(['beid', 'opensc']),
});

const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return out(USAGE);
  const parsed = options.safeParse(values);
  if (!parsed.success) throw new BridgeError('bad_request', parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  const o = parsed.data;
  const nationalNumber = parseNationalNumber(values['national-number']);
  const confPath = softHsmConfPath();
  const confFromEnv = Boolean(process.env.SOFTHSM2_CONF);
  const outDir = resolve(values.out ?? resolve(dirname(confPath), 'pki'));
  const ocspPort = Number(new URL(o['ocsp-url']).port || 80);
  if (values['serve-ocsp']) return serveOcsp(outDir, ocspPort, o['ocsp-url']);
  const holder = { nationalNumber, surname: o.surname, givenNames: o['given-names'], cardNumber: o['card-number'] };
  const modulePath = values.module ?? process.env.EID_SOFTHSM_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
  await provisionSoftHsm({
    holder,
    pin: o.pin,
    key: o.key,
    ocspUrl: o['ocsp-url'],
    caIssuersUrl: o['ca-issuers-url'],
    outDir,
    confPath,
    modulePath,
    style: o.style,
    add: values.add === true,
  });
  out(
    `Virtual Belgian eID (${o.style === 'opensc' ? 'as OpenSC shows it, without identity objects' : 'token BELPIC'}) for ${holder.givenNames} ${holder.surname}, national number ${nationalNumber}, card ${holder.cardNumber}, ${o.key} keys.`,
  );
  out(`  SoftHSM2 configuration: ${confPath}${confFromEnv ? '' : ' (found automatically in this folder; elsewhere set SOFTHSM2_CONF)'}`);
  out(`  Test PKI in ${outDir}: the provider may trust root.pem for tests, never in production.`);
  // The options that moved the PKI or the responder from where --serve-ocsp looks by default.
  const moved = [values.out ? `--out ${JSON.stringify(outDir)}` : '', o['ocsp-url'] === OPTIONS['ocsp-url'].default ? '' : `--ocsp-url ${o['ocsp-url']}`];
  out(`  OCSP responder for ${o['ocsp-url']}: ${['npm run test-cards -- --serve-ocsp', ...moved].filter(Boolean).join(' ')}`);
  out(`    (the same as: ${ocspResponderCommand(outDir, ocspPort)})`);
}

/** Runs the test PKI's OCSP responder until it is stopped (Ctrl+C), with openssl's own output. */
function serveOcsp(outDir: string, port: number, url: string): Promise<void> {
  if (!existsSync(join(outDir, PKI_FILES.index))) throw new BridgeError('bad_request', `No test PKI in ${outDir}: run npm run test-cards first.`);
  out(`OCSP responder for the virtual cards of ${outDir} at ${url} (Ctrl+C stops it)`);
  const child = spawn('openssl', ocspResponderArgs(pkiResponderFiles(outDir), port), { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (code && !signal) process.exitCode = code;
      done();
    });
  });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`test-cards: ${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const error = toBridgeError(e);
  process.stderr.write(`test-cards: ${error.message} [${error.code}]\n`);
  if (error.code === 'internal') process.stderr.write(`${String((error.cause as Error | undefined)?.stack ?? error.cause)}\n`);
  process.exitCode = 1;
});
