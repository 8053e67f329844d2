// What the process writes to stdout and stderr while a test watches, line by line: the provider's log, which tests
// search for what it must say (access lines, security events) and must not (a secret, a place).

/** Starts collecting into `lines`, still writing through; returns the function that stops it. */
export function captureOutput(lines: string[]): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    return () => (stream.write = write);
  });
  return () => restores.forEach((r) => r());
}
