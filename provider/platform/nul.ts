// PostgreSQL text and jsonb cannot hold a NUL character, and no field a person or an app sends needs one: a value
// with it is refused as bad input before it reaches a query, where it would be a database error (a 500).

/** True when `value`, or any key or value nested in it, holds a NUL. */
export const hasNul = (value: unknown): boolean =>
  typeof value === 'string'
    ? value.includes('\u0000')
    : typeof value === 'object' && value !== null && Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
