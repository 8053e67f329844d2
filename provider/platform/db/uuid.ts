// Ids in paths, forms and cookies are checked before they reach a uuid column: PostgreSQL answers a malformed uuid
// with an error (a 500), where the person should simply see "not found".
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A string known to be a well-formed uuid (branded, so a failed check leaves the value a plain string). */
export type Uuid = string & { readonly __uuid: true };

export const isUuid = (value: string | null | undefined): value is Uuid => typeof value === 'string' && UUID.test(value);
