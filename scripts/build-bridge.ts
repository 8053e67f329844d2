// `npm run build:bridge`: what a citizen installs, in dist/bridge/, built from card-bridge/ alone:
//   eid-bridge-VERSION.tgz           the npm package: compiled JavaScript, its README, pkcs11js and little else
//   eid-bridge-PLATFORM-ARCH         one executable that needs no Node.js (Node's single executable applications):
//                                    this Node with the bundled bridge injected by postject, the pkcs11js addon and
//                                    the PIN pad worker as assets (see card-bridge/sea/embedded.ts)
//   eid-bridge_VERSION_ARCH.deb      on Linux: that executable as /usr/bin/eid-bridge and a systemd user unit
// The executable is this machine's Node binary, so it is built for the system and processor it is built on.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'rolldown';
import { systemdUserUnit, UNIT_NAME } from '../card-bridge/autostart.ts';
import { PINPAD_WORKER_ASSET } from '../card-bridge/pkcs11/pinpad-login.ts';
import { BRIDGE_VERSION } from '../card-bridge/version.ts';
import { debFields } from './bridge-deb-fields.ts';

// postject ships no types.
const { inject } = createRequire(import.meta.url)('postject') as {
  inject(file: string, resource: string, data: Buffer, options: { sentinelFuse: string; machoSegmentName?: string }): Promise<void>;
};

const root = fileURLToPath(new URL('..', import.meta.url));
const bridge = join(root, 'card-bridge');
const out = join(root, 'dist', 'bridge');
const pkg = JSON.parse(readFileSync(join(bridge, 'package.json'), 'utf8')) as { name: string; version: string };
if (pkg.version !== BRIDGE_VERSION) throw new Error(`card-bridge/version.ts says ${BRIDGE_VERSION}, card-bridge/package.json ${pkg.version}: make them agree`);

// Checked before minutes of building: a wrong maintainer or documentation address stops the build at once.
const deb = process.platform === 'linux' ? debFields(process.env) : undefined;

const work = mkdtempSync(join(tmpdir(), 'eid-bridge-build-'));
const step = (line: string) => process.stdout.write(`build:bridge: ${line}\n`);
// The npm package is some tens of KB, which in MB would read "0.0 MB".
const sizeOf = (file: string) => {
  const { size } = statSync(file);
  return size < 1024 * 1024 ? `${Math.ceil(size / 1024)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`;
};

function npmPackage(): string {
  const stage = join(work, 'package');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(bridge, 'tsconfig.json'), '--outDir', join(stage, 'dist')], { stdio: 'inherit' });
  copyFileSync(join(bridge, 'package.json'), join(stage, 'package.json'));
  copyFileSync(join(bridge, 'README.md'), join(stage, 'README.md'));
  chmodSync(join(stage, 'dist', 'cli.js'), 0o755);
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }).trim();
  return join(out, name);
}

/** pkcs11js requires its addon by a relative path; in the executable it comes from the embedded asset instead. */
const embeddedAddon: Plugin = {
  name: 'embedded-addon',
  resolveId: (source) => (source.endsWith('/pkcs11.node') ? '\0embedded:pkcs11.node' : null),
  load: (id) =>
    id === '\0embedded:pkcs11.node'
      ? `module.exports = require(${JSON.stringify(join(bridge, 'sea', 'embedded.ts'))}).loadEmbeddedAddon('pkcs11.node');`
      : null,
};

async function bundle(entry: string, file: string): Promise<string> {
  const output = join(work, 'sea', file);
  await build({ input: entry, platform: 'node', plugins: [embeddedAddon], logLevel: 'warn', output: { file: output, format: 'cjs', codeSplitting: false } });
  // A single executable's main script is run as CommonJS source, where a `#!` line is a syntax error.
  writeFileSync(output, readFileSync(output, 'utf8').replace(/^#!.*\n/, ''));
  return output;
}

async function singleExecutable(): Promise<string> {
  const main = await bundle(join(bridge, 'cli.ts'), 'eid-bridge.cjs');
  const worker = await bundle(join(bridge, 'pkcs11', 'pinpad-worker.ts'), PINPAD_WORKER_ASSET);
  const addon = createRequire(import.meta.url).resolve('pkcs11js/build/Release/pkcs11.node');
  const blob = join(work, 'sea', 'sea.blob');
  const config = join(work, 'sea', 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, assets: { 'pkcs11.node': addon, [PINPAD_WORKER_ASSET]: worker } }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  const executable = join(out, `${pkg.name}-${process.platform}-${process.arch}`);
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  await inject(executable, 'NODE_SEA_BLOB', readFileSync(blob), {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    machoSegmentName: 'NODE_SEA',
  });
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', executable]);
  return executable;
}

const DEBIAN_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' };

function debianPackage(executable: string, { maintainer, documentation }: { maintainer: string; documentation: string }): string {
  const arch = DEBIAN_ARCH[process.arch];
  if (!arch) throw new Error(`No Debian architecture for ${process.arch}`);
  const stage = join(work, 'deb');
  const place = (path: string, content: string | Buffer, mode: number) => {
    mkdirSync(join(stage, path, '..'), { recursive: true });
    writeFileSync(join(stage, path), content, { mode });
    chmodSync(join(stage, path), mode);
  };
  mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
  copyFileSync(executable, join(stage, 'usr', 'bin', pkg.name));
  chmodSync(join(stage, 'usr', 'bin', pkg.name), 0o755);
  place(`usr/lib/systemd/user/${UNIT_NAME}`, systemdUserUnit([`/usr/bin/${pkg.name}`, 'serve'], documentation), 0o644);
  cpSync(join(bridge, 'packaging', 'copyright'), join(stage, 'usr', 'share', 'doc', pkg.name, 'copyright'));
  chmodSync(join(stage, 'usr', 'share', 'doc', pkg.name, 'copyright'), 0o644);
  place(`usr/share/doc/${pkg.name}/README.md`, readFileSync(join(bridge, 'README.md')), 0o644);
  const installedKiB = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]);
  const fields: Record<string, string> = { version: pkg.version, architecture: arch, installedSize: String(installedKiB), maintainer };
  place(
    'DEBIAN/control',
    readFileSync(join(bridge, 'packaging', 'control'), 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => fields[name]!),
    0o644,
  );
  for (const script of ['postinst', 'prerm']) place(`DEBIAN/${script}`, readFileSync(join(bridge, 'packaging', script)), 0o755);
  const deb = join(out, `${pkg.name}_${pkg.version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}

try {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tgz = npmPackage();
  step(`${tgz} (${sizeOf(tgz)})`);
  const executable = await singleExecutable();
  step(`${executable} (${sizeOf(executable)})`);
  if (deb) {
    const file = debianPackage(executable, deb);
    step(`${file} (${sizeOf(file)})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
