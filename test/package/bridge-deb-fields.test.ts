// The maintainer and documentation address the operator building the bridge's Debian package puts in it, read from
// the build's environment (scripts/bridge-deb-fields.ts), and the unit text they end up in.
import { describe, expect, it } from 'vitest';
import { debFields } from '../../scripts/bridge-deb-fields.ts';
import { systemdUserUnit } from '../../card-bridge/autostart.ts';

describe("the Debian package's maintainer and documentation", () => {
  it('default to the placeholder maintainer and the README the package installs', () => {
    expect(debFields({})).toEqual({ maintainer: 'belid maintainers <eid-bridge@belid.invalid>', documentation: 'file:/usr/share/doc/eid-bridge/README.md' });
  });

  it("are the operator's when set, and the unit points to that documentation, not to eid.belgium.be", () => {
    const fields = debFields({
      EID_BRIDGE_DEB_MAINTAINER: 'Stad Gent ICT <eid-bridge@stad.gent>',
      EID_BRIDGE_DEB_DOCUMENTATION: 'https://stad.gent/eid-bridge',
    });
    expect(fields).toEqual({ maintainer: 'Stad Gent ICT <eid-bridge@stad.gent>', documentation: 'https://stad.gent/eid-bridge' });
    const unit = systemdUserUnit(['/usr/bin/eid-bridge', 'serve'], fields.documentation);
    expect(unit).toContain('\nDocumentation=https://stad.gent/eid-bridge\n');
    expect(unit).not.toContain('eid.belgium.be');
  });

  it('stop the build with what to write instead', () => {
    expect(() => debFields({ EID_BRIDGE_DEB_MAINTAINER: 'eid-bridge@stad.gent', EID_BRIDGE_DEB_DOCUMENTATION: 'stad.gent/eid' })).toThrow(
      'Cannot build the Debian package:\n' +
        '  EID_BRIDGE_DEB_MAINTAINER="eid-bridge@stad.gent": expected a name and an address, such as City of Ghent IT <eid-bridge@stad.gent>\n' +
        '  EID_BRIDGE_DEB_DOCUMENTATION="stad.gent/eid": expected an https://, http://, file:/ or man: address without spaces',
    );
  });
});
