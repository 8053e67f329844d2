// PostgreSQL text and jsonb cannot hold a NUL character, and no field a person or an app sends needs one: a value
// with it is refused as bad input before it reaches a query, where it would be a database error (a 500).

/**
 * True when `value`, or any key or value nested in it, holds a NUL. Walked with a list, not by recursion: a JSON body
 * nested thirty thousand deep would overflow the stack (a 500) before any check said no.
 */
export function hasNul(value: unknown): boolean {
  const pending = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, nested] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        pending.push(nested);
      }
    }
  }
  return false;
}
