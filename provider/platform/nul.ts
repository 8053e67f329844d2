// PostgreSQL text and jsonb cannot hold a NUL character, and no field a person or an app sends needs one: a value
// with it is refused as bad input before it reaches a query, where it would be a database error (a 500).

/**
 * True when `value`, or any key or value nested in it, is a string `test` accepts. Walked with a list, not by
 * recursion: a JSON body nested thirty thousand deep would overflow the stack (a 500) before any check said no.
 */
function anyString(value: unknown, test: (s: string) => boolean): boolean {
  const pending = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (test(v)) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, nested] of Object.entries(v)) {
        if (test(k)) return true;
        pending.push(nested);
      }
    }
  }
  return false;
}

/** True when `value`, or any key or value nested in it, holds a NUL. */
export const hasNul = (value: unknown): boolean => anyString(value, (s) => s.includes('\u0000'));

/**
 * A NUL, or U+FFFD: what a form field's or a query's bytes decode to where they are not UTF-8 (an overlong "/", half
 * a surrogate pair). Stored, it would stand in a name or a label as "�" in place of what was meant; nobody types it.
 */
export const hasUnreadable = (value: unknown): boolean => anyString(value, (s) => s.includes('\u0000') || s.includes('\uFFFD'));
