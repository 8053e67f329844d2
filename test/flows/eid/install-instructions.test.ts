// The eID page's "install the card bridge" section, in every language: per system, what exists (the Debian package,
// the single executable, the Web eID extension where no bridge is built yet) and the official middleware's link;
// never npm, Node.js or a command to type.
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../provider/platform/web/i18n.ts';
import { render } from '../../../provider/platform/web/views.ts';

const installSection = (html: string) => /<div data-eid-install hidden>([\s\S]*?)<\/div>/.exec(html)![1]!;

describe.each(LOCALES)('the bridge install instructions in %s', (locale) => {
  const html = installSection(render('pages/eid/card.njk', { locale, titleKey: 'eid.install.title', bridgeUrl: 'http://127.0.0.1:24127', nonce: 'n' }));

  it('name the Debian package and the single executable, and link the official middleware for every system', () => {
    expect(html).toContain('eid-bridge_…_amd64.deb');
    expect(html).toContain('eid-bridge-linux-x64');
    expect(html.match(/<a href="https:\/\/eid\.belgium\.be">eid\.belgium\.be<\/a>/g)).toHaveLength(3);
    expect(html.match(/<a href="https:\/\/web-eid\.eu">web-eid\.eu<\/a>/g)).toHaveLength(2);
  });

  it('give the Debian package and the single executable as two ways of one step, not as steps to take one after the other', () => {
    const linux = /<h3>Linux<\/h3>\s*<ol>([\s\S]*?)<\/ol>/.exec(html)![1]!;
    const steps = linux.replace(/<ul>[\s\S]*?<\/ul>/g, '').match(/<li>/g);
    expect(steps).toHaveLength(2);
    const ways = /<ul>([\s\S]*?)<\/ul>/.exec(linux)![1]!;
    expect(ways.match(/<li>/g)).toHaveLength(2);
    expect(ways).toContain('eid-bridge_…_amd64.deb');
    expect(ways).toContain('eid-bridge-linux-x64');
  });

  it("never send a citizen to npm, Node.js or a terminal, the reactivation's page (which has a command for one) neither", () => {
    expect(html).not.toMatch(/npm|npx|node\.js|terminal|<code>/i);
    const cli = 'eid-bridge activate --provider https://idp.example.be --mobile +32470123456';
    const reactivation = render('pages/eid/card.njk', { locale, titleKey: 'eid.install.title', bridgeUrl: 'http://127.0.0.1:24127', nonce: 'n', cli });
    expect(installSection(reactivation)).not.toMatch(/terminal|<code>|eid-bridge activate/i);
  });

  it("link the operator's download page when EID_BRIDGE_DOWNLOAD_URL names one, and no other without it", () => {
    const withDownload = installSection(
      render('pages/eid/card.njk', {
        locale,
        titleKey: 'eid.install.title',
        bridgeUrl: 'http://127.0.0.1:24127',
        nonce: 'n',
        downloadUrl: 'https://www.example.be/eid-bridge',
      }),
    );
    expect(withDownload).toContain('<a href="https://www.example.be/eid-bridge">www.example.be/eid-bridge</a>');
    expect(html).not.toContain('example.be');
  });
});
