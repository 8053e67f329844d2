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
