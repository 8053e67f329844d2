// What the operator who builds the bridge's Debian package names in it (`npm run build:bridge`): the maintainer a
// citizen's installer shows, and the documentation the systemd unit points to. Read from the environment of the
// build, checked before anything is built.
export const DEFAULT_MAINTAINER = 'belid maintainers <eid-bridge@belid.invalid>';
/** The bridge's README, installed by the package itself: documentation that is there whenever the unit is. */
export const DEFAULT_DOCUMENTATION = 'file:/usr/share/doc/eid-bridge/README.md';

export interface DebFields {
  maintainer: string;
  documentation: string;
}

/** EID_BRIDGE_DEB_MAINTAINER ("Name <address>", as Debian wants it) and EID_BRIDGE_DEB_DOCUMENTATION (a URL systemd accepts). */
export function debFields(env: NodeJS.ProcessEnv): DebFields {
  const maintainer = env.EID_BRIDGE_DEB_MAINTAINER?.trim() || DEFAULT_MAINTAINER;
  const documentation = env.EID_BRIDGE_DEB_DOCUMENTATION?.trim() || DEFAULT_DOCUMENTATION;
  const problems = [
    ...(/^[^<>\n,]+ <[^\s<>@]+@[^\s<>@]+>$/.test(maintainer)
      ? []
      : [`EID_BRIDGE_DEB_MAINTAINER=${JSON.stringify(maintainer)}: expected a name and an address, such as City of Ghent IT <eid-bridge@stad.gent>`]),
    ...(/^(https?:\/\/[^\s]+|file:\/[^\s]+|man:[^\s]+)$/.test(documentation)
      ? []
      : [`EID_BRIDGE_DEB_DOCUMENTATION=${JSON.stringify(documentation)}: expected an https://, http://, file:/ or man: address without spaces`]),
  ];
  if (problems.length) throw new Error(`Cannot build the Debian package:\n  ${problems.join('\n  ')}`);
  return { maintainer, documentation };
}
