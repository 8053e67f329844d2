// Answer times of two kinds of request (known and unknown accounts), compared as the enumeration tests do: medians
// within the noise of the pooled spread.

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The two medians, their difference, and the pooled interquartile range the difference is judged against. */
export function compareTimes(known: number[], unknown: number[]) {
  const [medianKnown, medianUnknown] = [quantile(known, 0.5), quantile(unknown, 0.5)];
  const all = [...known, ...unknown];
  return { medianKnown, medianUnknown, difference: Math.abs(medianKnown - medianUnknown), pooledIqr: quantile(all, 0.75) - quantile(all, 0.25) };
}

/** `n` requests of each kind, one after the other in a random order, so that drift in the machine's load hits both alike. */
export async function interleaved<T>(n: number, known: (i: number) => Promise<T>, unknown: (i: number) => Promise<T>): Promise<{ known: T[]; unknown: T[] }> {
  const answers = { known: [] as T[], unknown: [] as T[] };
  const order = [...Array(n).keys()]
    .flatMap((i) => [
      { i, known: true },
      { i, known: false },
    ])
    .sort(() => Math.random() - 0.5);
  for (const o of order) {
    if (o.known) answers.known.push(await known(o.i));
    else answers.unknown.push(await unknown(o.i));
  }
  return answers;
}
