// The eID page's "install the card bridge" section, in every language: per system, what exists (the Debian package,
// the single executable, the Web eID extension where no bridge is built or offered) and the official middleware's
// link; never npm, Node.js or a command to type.
import { describe, expect, it } from 'vitest';
import { LOCALES, type Locale } from '../../../provider/platform/web/i18n.ts';
import { render } from '../../../provider/platform/web/views.ts';

const installSection = (html: string) => /<div data-eid-install hidden>([\s\S]*?)<\/div>/.exec(html)![1]!;
const page = (locale: Locale, extra: Record<string, unknown> = {}) =>
  installSection(render('pages/eid/card.njk', { locale, titleKey: 'eid.install.title', bridgeUrl: 'http://127.0.0.1:24127', nonce: 'n', ...extra }));
const linuxOf = (html: string) => /<h3>Linux<\/h3>\s*<ol>([\s\S]*?)<\/ol>/.exec(html)![1]!;
const DOWNLOAD = 'https://www.example.be/eid-bridge';

describe.each(LOCALES)('the bridge install instructions in %s', (locale) => {
  const offered = page(locale, { downloadUrl: DOWNLOAD });
  const notOffered = page(locale);

  it("name the Debian package and the single executable, link the operator's download page and the official middleware for every system", () => {
    expect(offered).toContain('eid-bridge_…_amd64.deb');
    expect(offered).toContain('eid-bridge-linux-x64');
    expect(offered).toContain('<a href="https://www.example.be/eid-bridge">www.example.be/eid-bridge</a>');
    expect(offered.match(/<a href="https:\/\/eid\.belgium\.be">eid\.belgium\.be<\/a>/g)).toHaveLength(3);
    expect(offered.match(/<a href="https:\/\/web-eid\.eu">web-eid\.eu<\/a>/g)).toHaveLength(2);
  });

  it('give the Debian package and the single executable as two ways of one step, not as steps to take one after the other', () => {
    const linux = linuxOf(offered);
    const steps = linux.replace(/<ul>[\s\S]*?<\/ul>/g, '').match(/<li>/g);
    expect(steps).toHaveLength(2);
    const ways = /<ul>([\s\S]*?)<\/ul>/.exec(linux)![1]!;
    expect(ways.match(/<li>/g)).toHaveLength(2);
    expect(ways).toContain('eid-bridge_…_amd64.deb');
    expect(ways).toContain('eid-bridge-linux-x64');
  });

  it('send Linux users to the Web eID extension where the site offers no bridge to download (EID_BRIDGE_DOWNLOAD_URL unset), rather than name files they cannot find', () => {
    const linux = linuxOf(notOffered);
    expect(linux.match(/<li>/g)).toHaveLength(2);
    expect(linux).toContain('<a href="https://eid.belgium.be">eid.belgium.be</a>');
    expect(linux).toContain('<a href="https://web-eid.eu">web-eid.eu</a>');
    expect(notOffered).not.toMatch(/eid-bridge_|eid-bridge-linux-x64|example\.be/);
    expect(notOffered.match(/<a href="https:\/\/web-eid\.eu">web-eid\.eu<\/a>/g)).toHaveLength(3);
  });

  it("never send a citizen to npm, Node.js or a terminal, the reactivation's page (which has a command for one) neither", () => {
    expect(offered).not.toMatch(/npm|npx|node\.js|terminal|<code>/i);
    expect(notOffered).not.toMatch(/npm|npx|node\.js|terminal|<code>/i);
    const cli = 'eid-bridge activate --provider https://idp.example.be --mobile +32470123456';
    expect(page(locale, { cli, downloadUrl: DOWNLOAD })).not.toMatch(/terminal|<code>|eid-bridge activate/i);
  });
});
