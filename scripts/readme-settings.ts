// Rewrites the settings table in README.md (between the settings markers) from provider/app/settings.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../provider/app/settings.ts';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const updated = readme.replace(/(<!-- settings:start -->\n)[\s\S]*?(<!-- settings:end -->)/, `$1${settingsTable()}\n$2`);
writeFileSync(file, updated);
