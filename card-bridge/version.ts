// The bridge's version, for `--version` and the tokens' appVersion. Written here rather than read from package.json,
// which neither the single executable nor the compiled package has beside its code; the artefacts test checks that
// it is card-bridge/package.json's version.
export const BRIDGE_VERSION = '0.1.0';
