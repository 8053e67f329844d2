// A suite that needs a system component (PostgreSQL, SoftHSM2, Chromium, openssl) asks here. In CI a missing
// component fails the run; on a laptop the suite is skipped with a loud message naming the install command.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

interface Component {
  present(): boolean;
  install: string;
}

const components = {
  postgres: {
    present: () => {
      try {
        execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-c', 'select 1'], { stdio: 'ignore', timeout: 5000 });
        return true;
      } catch {
        return false;
      }
    },
    install:
      'apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (database "test", trust auth on 127.0.0.1:5432)',
  },
  softhsm: {
    present: () => existsSync('/usr/lib/softhsm/libsofthsm2.so'),
    install: 'apt-get update && apt-get install -y softhsm2 opensc',
  },
  chromium: {
    present: () => existsSync('/usr/bin/chromium'),
    install: 'apt-get update && apt-get install -y chromium',
  },
  systemd: {
    present: () => existsSync('/usr/bin/systemd-analyze'),
    install: 'apt-get update && apt-get install -y systemd',
  },
  openssl: {
    present: () => existsSync('/usr/bin/openssl'),
    install: 'apt-get update && apt-get install -y openssl',
  },
} satisfies Record<string, Component>;

export type ComponentName = keyof typeof components;

/** True when the component is there; throws in CI when it is not; warns loudly and returns false otherwise. */
export function has(name: ComponentName): boolean {
  const c = components[name];
  if (c.present()) return true;
  const message = `${name} is missing: this suite needs it. Install with: ${c.install}`;
  if (process.env.CI) throw new Error(message);
  console.error(`\n!!! SKIPPING: ${message}\n`);
  return false;
}

export const POSTGRES_TEST_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
