// Reads a URL-encoded form (or JSON) body with a size limit and validates it with one zod schema per input.
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { hasUnreadable } from '../nul.ts';
import type { FormError, FormErrors } from './form-errors.ts';

const LIMIT = 64 * 1024;
/** Distinct names in one form: our largest has a few dozen. */
const MAX_FIELDS = 200;

const tooLarge = () => new AppError('payload_too_large', 'error.too_large', 413);

/** A body whose declared length is past `limit`, refused before a byte of it is read. */
function refuseDeclaredOver(ctx: Context, limit: number): void {
  if (Number(ctx.get('content-length') || 0) > limit) throw tooLarge();
}

async function readBody(ctx: Context): Promise<string> {
  refuseDeclaredOver(ctx, LIMIT);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonFields(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
  throw new AppError('invalid_json', 'error.invalid_json', 400);
}

/**
 * A body declared larger than `limit` refused as too large before anything reads it, for a reader of its own
 * (oidc-provider's) that answers one with a 400 of its own words. One sent in chunks, without its length, still gets
 * that reader's answer.
 */
export function refuseLargeBody(limit: number) {
  return async (ctx: Context, next: () => Promise<unknown>) => {
    refuseDeclaredOver(ctx, limit);
    await next();
  };
}

/**
 * One pass over the pairs: a lookup per distinct name (getAll) scans them all, and 13,000 names in 52 KB took a second
 * of the event loop, for anyone, before the CSRF check. Own properties only, whatever the names (`__proto__` too).
 */
function formFields(text: string): Record<string, unknown> {
  const fields = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const values = fields.get(key);
    if (values) values.push(value);
    else if (fields.size === MAX_FIELDS) throw new AppError('too_many_fields', 'error.too_large', 413);
    else fields.set(key, [value]);
  }
  return Object.fromEntries([...fields].map(([key, values]) => [key, values.length > 1 ? values : values[0]]));
}

/**
 * The parsed body as a flat record, NULs and all: for the CSRF check, which only compares its token, and formInput.
 * Cached on ctx.state so middleware (CSRF) and handlers share one read.
 */
export async function bodyFields(ctx: Context): Promise<Record<string, unknown>> {
  if (ctx.state.body) return ctx.state.body as Record<string, unknown>;
  const text = await readBody(ctx);
  const parsed = ctx.is('application/json') ? jsonFields(text) : formFields(text);
  ctx.state.body = parsed;
  return parsed;
}

/**
 * A request holding what no form of ours gives (a NUL, bytes that are not text, a checkbox's value it never has) in a
 * field the person did not type: there is no field to show the problem at, so the page says nothing was changed and
 * to reload the form, which gives the field its own value again.
 */
export const unreadableInput = () => new AppError('unreadable_input', 'error.unreadable_input', 400);

/** The parsed body, refused as a whole when it holds a NUL or bytes that are not text (hasUnreadable). */
export async function body(ctx: Context): Promise<Record<string, unknown>> {
  const parsed = await bodyFields(ctx);
  if (hasUnreadable(parsed)) throw unreadableInput();
  return parsed;
}

/** The message oneLine (and formInput, for a NUL or a byte not text) gives a refused character, so that a form can tell it from a field left empty. */
export const UNUSABLE_CHARACTERS = 'unusable_characters';

const readable = z.record(
  z.string(),
  z.unknown().refine((v) => !hasUnreadable(v), UNUSABLE_CHARACTERS),
);

/**
 * `raw` parsed by `schema`, where a field holding a NUL or bytes that are not text is refused as that field's problem
 * (fieldProblem), so that the page shows the form again with the other values kept rather than body()'s page. The
 * schema then does not run: nothing holding one reaches what a handler stores.
 */
export function parseForm<T extends z.ZodType>(schema: T, raw: Record<string, unknown>): z.ZodSafeParseResult<z.output<T>> {
  const refused = readable.safeParse(raw);
  return refused.success ? schema.safeParse(raw) : { success: false, error: new z.ZodError(refused.error.issues) as z.ZodError<z.output<T>> };
}

/** A page's form and its parseForm by `schema`; `raw` may hold a NUL, and serves only to show the values again. */
export async function formInput<T extends z.ZodType>(
  ctx: Context,
  schema: T,
): Promise<{ raw: Record<string, unknown>; parsed: z.ZodSafeParseResult<z.output<T>> }> {
  const raw = await bodyFields(ctx);
  return { raw, parsed: parseForm(schema, raw) };
}

/** A field shown back in its form: its text, repeated values joined; a JSON body's object shows as nothing. */
export const fieldText = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : Array.isArray(v) ? v.join(',') : '';

/**
 * The same for the query string, on every route (pages, APIs and the protocol's own); but for the fields of a page's
 * own GET form (`typed`: path → names), which that page shows as its field's problem and keeps from the database.
 * Only an escaped byte can be either, so a query without one is not walked.
 */
export function refuseUnreadableQuery(typed: Readonly<Record<string, readonly string[]>> = {}) {
  return async (ctx: Context, next: () => Promise<unknown>) => {
    if (ctx.querystring.includes('%')) {
      const own = typed[ctx.path] ?? [];
      const others = Object.entries(ctx.query).filter(([name]) => !own.includes(name));
      if (hasUnreadable(others)) throw unreadableInput();
    }
    // Nor a path: a route's parameter (an upstream's name, a person's id) is decoded from it, and no page has one.
    if (ctx.path.includes('%00')) throw new AppError('not_found', 'error.not_found.message', 404);
    await next();
  };
}

/** A character that shows: not a format character, a separator, or a letter drawn blank. */
const VISIBLE = /[^\p{Cf}\p{Z}\u115F\u1160\u3164\uFFA0\u2800]/u;

/**
 * A one-line text field (a name, a passkey's label): trimmed, at most `max` characters, and no control character. A
 * browser's single-line input cannot send a newline or an escape, so one that arrives was crafted, and in a plain-text
 * mail or a log line it would start a line of the sender's choosing. Nor a bidi embedding, override or isolate
 * (U+202A–U+202E, U+2066–U+2069): the text after the field, in the mail telling the owner of a passkey someone added,
 * would read in an order of the sender's choosing.
 */
export const oneLine = (max: number, message?: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .regex(/^[^\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/u, message ?? UNUSABLE_CHARACTERS)
    // Nor, when given, one of invisible characters only (zero-width, Hangul fillers, Braille blank): a passkey or a
    // person so named shows as nothing in a list where the owner looks for what someone else added.
    .refine((v) => v === '' || VISIBLE.test(v), message ?? UNUSABLE_CHARACTERS);

/**
 * What a refused field says of itself, beyond "fill it in": too long (with the limit), or holding characters a
 * one-line field takes none of. Without it, a filled field was told to be filled.
 */
export function fieldProblem(issue: z.core.$ZodIssue): FormError | undefined {
  if (issue.code === 'too_big' && issue.origin === 'string') return { key: 'error.field.too_long', params: { max: Number(issue.maximum) } };
  if (issue.message === UNUSABLE_CHARACTERS) return { key: 'error.field.characters' };
  return undefined;
}

/**
 * The errors of a form refused for a field holding a character it cannot (a NUL or a byte not text, refused by
 * formInput, or what oneLine refuses), for a page whose other refusals are its own.
 */
export function controlCharacters(error: z.ZodError): FormErrors | undefined {
  const issue = error.issues.find((i) => i.message === UNUSABLE_CHARACTERS);
  return issue && { [String(issue.path[0])]: [{ key: 'error.field.characters' }] };
}

/**
 * For a page that reads its fields itself (from bodyFields) and refuses them in its own words: the field holding a NUL
 * or a byte not text as formInput refuses it, at that field, before any of the page's own checks; undefined when none
 * holds one.
 */
export function unusableFields(raw: Record<string, unknown>): FormErrors | undefined {
  const refused = readable.safeParse(raw);
  return refused.success ? undefined : controlCharacters(refused.error);
}

/** A refused parse as a form's errors: its first refused field, with what it says of itself or else `fallback`. */
export function firstProblem(error: z.ZodError, fallback: string): FormErrors {
  const issue = error.issues[0];
  return { [String(issue?.path[0] ?? 'form')]: [(issue && fieldProblem(issue)) ?? { key: fallback }] };
}

/** Each field's most characters, from its schema: the inputs' maxlength, so that the page and the check agree. */
export function maxLengths(...schemas: z.ZodObject[]): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const schema of schemas)
    for (const [name, field] of Object.entries(schema.shape)) {
      let text: unknown = field instanceof z.ZodOptional ? field.unwrap() : field;
      // A transform is a pipe too: the typed string is the innermost input.
      while (text instanceof z.ZodPipe) text = text.in;
      if (text instanceof z.ZodString && text.maxLength !== null) limits[name] = text.maxLength;
    }
  return limits;
}

/** Parses the body with `schema`; a failure becomes an AppError listing each field's problem. */
export async function parseBody<T extends z.ZodType>(ctx: Context, schema: T): Promise<z.output<T>> {
  const result = schema.safeParse(await body(ctx));
  if (result.success) return result.data;
  throw new AppError('invalid_input', 'error.invalid_input', 400, {
    fields: result.error.issues.map((i) => i.path.join('.')).join(','),
  });
}
