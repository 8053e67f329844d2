// A provider started by a wrapper (`npm start` runs it under `sh -c`) is not told when that wrapper is killed: npm
// passes SIGTERM to the shell, the shell ends, and the provider, adopted by init, served on and kept DATA_DIR's lock,
// so that the next `npm start` was refused. It stops instead, as it would on SIGTERM, once its parent is gone.

/** Polls how often; a stop a second late is no harm, a check is cheap. */
const EVERY_MS = 1_000;

/** Calls `stop` once the process that started this one has ended (the kernel gives the orphan another parent). */
export function stopWithParent(stop: () => void): void {
  const parent = process.ppid;
  // Started by init or a service manager: nothing above it to outlive.
  if (parent === 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, EVERY_MS);
  timer.unref();
}
