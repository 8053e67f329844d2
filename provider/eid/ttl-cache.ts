// A small in-process cache whose entries expire, bounded by dropping the oldest entry: what the eID validator keeps
// between logins (OCSP answers for minutes, CA certificates fetched from their publisher for a day).

export interface TtlCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

export interface TtlCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

export function createTtlCache<V>({
  ttlMs,
  maxEntries,
  clock = Date.now,
}: Required<Pick<TtlCacheOptions, 'ttlMs' | 'maxEntries'>> & TtlCacheOptions): TtlCache<V> {
  const entries = new Map<string, { value: V; expires: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry && entry.expires > clock()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key, value) {
      entries.delete(key);
      // Maps iterate in insertion order, so the first key is the oldest entry.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, expires: clock() + ttlMs });
    },
  };
}
