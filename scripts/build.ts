// `npm run build`, also run by `prepare` (npm install, npm pack): the package as JavaScript with declarations in dist/,
// since Node does not strip types under node_modules. The files the code reads beside itself (pages, mails,
// catalogues, the Belgian trust anchors) are copied to the same places relative to the compiled code.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist/`;
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
cpSync(`${root}views`, `${dist}views`, { recursive: true });
cpSync(`${root}provider/eid/trust-anchors`, `${dist}provider/eid/trust-anchors`, { recursive: true });
chmodSync(`${dist}provider/app/cli.js`, 0o755);
