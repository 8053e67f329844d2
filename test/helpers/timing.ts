// Answer times of two kinds of request (known and unknown accounts), compared as the enumeration tests do: the
// difference of the medians against the noise of the groups' own spread.

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const iqr = (values: number[]) => quantile(values, 0.75) - quantile(values, 0.25);

/**
 * The two medians, their difference, and the bound it is judged against: `floorMs`, or three standard errors of a
 * difference of two medians, whichever is larger. The standard error comes from each group's own spread (IQR / 1.349
 * estimates σ; a median of n samples varies by 1.2533 σ / √n), not from the two groups together, which a real gap
 * between them would widen.
 */
export function compareTimes(known: number[], unknown: number[], floorMs: number) {
  const [medianKnown, medianUnknown] = [quantile(known, 0.5), quantile(unknown, 0.5)];
  const [iqrKnown, iqrUnknown] = [iqr(known), iqr(unknown)];
  const sigma = (iqrKnown + iqrUnknown) / 2 / 1.349;
  const standardError = 1.2533 * sigma * Math.sqrt(1 / known.length + 1 / unknown.length);
  const difference = Math.abs(medianKnown - medianUnknown);
  const bound = Math.max(floorMs, 3 * standardError);
  const summary = `known median ${medianKnown.toFixed(1)} IQR ${iqrKnown.toFixed(1)}; unknown median ${medianUnknown.toFixed(1)} IQR ${iqrUnknown.toFixed(1)}; n ${known.length}; difference ${difference.toFixed(1)}, bound ${bound.toFixed(1)}`;
  return { medianKnown, medianUnknown, difference, bound, alike: difference <= bound, summary };
}

/** `n` requests of each kind, one after the other in a random order, so that drift in the machine's load hits both alike. */
export async function interleaved<T>(
  n: number,
  known: (i: number) => Promise<T>,
  unknown: (i: number) => Promise<T>,
  first = 0,
): Promise<{ known: T[]; unknown: T[] }> {
  const answers = { known: [] as T[], unknown: [] as T[] };
  const order = [...Array(n).keys()]
    .flatMap((i) => [
      { i: first + i, known: true },
      { i: first + i, known: false },
    ])
    .sort(() => Math.random() - 0.5);
  for (const o of order) {
    if (o.known) answers.known.push(await known(o.i));
    else answers.unknown.push(await unknown(o.i));
  }
  return answers;
}

/**
 * Interleaved rounds of `n` requests of each kind (indices 0 … rounds·n − 1), until the medians of all the answers so
 * far are alike or `rounds` are done. A gap that the code makes stays through every round; a burst of load from the
 * other test files sharing the machine's two cores does not, and more samples narrow the bound.
 */
export async function measureAlike<T extends { ms: number }>(
  opts: { n: number; rounds: number; floorMs: number; label: string },
  known: (i: number) => Promise<T>,
  unknown: (i: number) => Promise<T>,
) {
  const all = { known: [] as T[], unknown: [] as T[] };
  let times = compareTimes([0], [0], opts.floorMs);
  for (let round = 0; round < opts.rounds; round++) {
    const answers = await interleaved(opts.n, known, unknown, round * opts.n);
    all.known.push(...answers.known);
    all.unknown.push(...answers.unknown);
    times = compareTimes(
      all.known.map((a) => a.ms),
      all.unknown.map((a) => a.ms),
      opts.floorMs,
    );
    console.log(`${opts.label} answer times (ms), round ${round + 1}: ${times.summary}`);
    if (times.alike) break;
  }
  return { ...all, times };
}
