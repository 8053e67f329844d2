// Imported first by the `idp` command, so that it runs before oidc-provider and the rest load: on an older Node.js
// (the end-of-life Node 20 many machines still carry) the provider would start with a warning and fail later in
// ways nobody can act on, so it stops at once and says how to get a supported one without touching the system.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `idp needs Node.js 22.12 or later (24 recommended); this is Node.js ${process.versions.node}.\n` +
      'To run it on Node 24 without changing the system, in the folder where belid is installed:\n' +
      '  npm install node@24   (should npm say its install script was left out: npm install-scripts approve node, npm rebuild)\n' +
      'npx idp then runs on that Node.\n',
  );
  process.exit(1);
}
