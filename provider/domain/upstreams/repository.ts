// Upstream OpenID providers as staff configure them, and the identities at them that people linked to accounts.
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import type { SecretBox } from './secret-box.ts';
import { fromJsonColumn } from '../../platform/db/knex.ts';

export const UPSTREAM_USES = ['login', 'link', 'reactivation'] as const;
export type UpstreamUse = (typeof UPSTREAM_USES)[number];
/** What identifies the person at the upstream: its `sub`, a verified e-mail address, or the national number (kept as HMAC). */
export const SUBJECT_CLAIMS = ['sub', 'email', 'national_number'] as const;
export type SubjectClaim = (typeof SUBJECT_CLAIMS)[number];

/** Plain http only for an upstream on this machine (tests, development): anywhere else the bank must use https. */
export const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

export const upstreamInput = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a slug is 1–40 lower-case letters, digits or dashes'),
  name: z.string().trim().min(1).max(100),
  issuer: z.url('expected the issuer URL').refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
  }, 'the issuer must use https (http only on 127.0.0.1 or localhost)'),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(2000),
  scopes: z
    .string()
    .trim()
    .default('openid')
    .refine((s) => s.split(/\s+/).includes('openid'), 'the scopes must include openid'),
  subjectClaim: z.enum(SUBJECT_CLAIMS).default('sub'),
  uses: z
    .array(z.enum(UPSTREAM_USES))
    .min(1)
    .default([...UPSTREAM_USES]),
  logoUrl: z.string().startsWith('data:image/').max(100_000).optional(),
  acrFromUpstream: z.boolean().default(false),
  trustNationalNumber: z.boolean().default(false),
});
export type UpstreamInput = z.input<typeof upstreamInput>;

export interface Upstream {
  slug: string;
  name: string;
  issuer: string;
  clientId: string;
  /** Encrypted: open with the SecretBox. */
  sealedSecret: string;
  scopes: string;
  subjectClaim: SubjectClaim;
  uses: UpstreamUse[];
  logoUrl: string | null;
  acrFromUpstream: boolean;
  /** A national number it states logs into the account whose eID card has that number, without a link. */
  trustNationalNumber: boolean;
  enabled: boolean;
}

/** What the login and reactivation pages need to show a button. */
export type UpstreamButton = Pick<Upstream, 'slug' | 'name' | 'logoUrl'>;

function toUpstream(row: Record<string, unknown>): Upstream {
  return {
    slug: row.slug as string,
    name: row.name as string,
    issuer: row.issuer as string,
    clientId: row.client_id as string,
    sealedSecret: row.client_secret as string,
    scopes: row.scopes as string,
    subjectClaim: row.subject_claim as SubjectClaim,
    uses: fromJsonColumn<UpstreamUse[]>(row.uses),
    logoUrl: (row.logo_url as string | null) ?? null,
    acrFromUpstream: Boolean(row.acr_from_upstream),
    trustNationalNumber: Boolean(row.trust_national_number),
    enabled: Boolean(row.enabled),
  };
}

export async function addUpstream(db: Knex, box: SecretBox, input: UpstreamInput, now = new Date()): Promise<Upstream> {
  const u = upstreamInput.parse(input);
  if (await db('upstream_providers').where({ slug: u.slug }).first('slug'))
    throw new AppError('upstream_exists', 'error.upstream_exists', 409, { slug: u.slug });
  const row = {
    slug: u.slug,
    name: u.name,
    issuer: u.issuer.replace(/\/+$/, ''),
    client_id: u.clientId,
    client_secret: box.seal(u.clientSecret, u.slug),
    scopes: u.scopes.split(/\s+/).join(' '),
    subject_claim: u.subjectClaim,
    uses: JSON.stringify([...new Set(u.uses)]),
    logo_url: u.logoUrl ?? null,
    acr_from_upstream: u.acrFromUpstream,
    trust_national_number: u.trustNationalNumber,
    enabled: true,
    created_at: now,
  };
  await db('upstream_providers').insert(row);
  changes++;
  return toUpstream(row);
}

export async function listUpstreams(db: Knex): Promise<Upstream[]> {
  return (await db('upstream_providers').orderBy('name')).map(toUpstream);
}

export async function findUpstream(db: Knex, slug: string): Promise<Upstream | undefined> {
  const row = await db('upstream_providers').where({ slug }).first();
  return row ? toUpstream(row) : undefined;
}

/** The enabled upstreams offered for `use`, by name. */
export async function upstreamsFor(db: Knex, use: UpstreamUse): Promise<UpstreamButton[]> {
  return (await listUpstreams(db)).filter((u) => u.enabled && u.uses.includes(use)).map(({ slug, name, logoUrl }) => ({ slug, name, logoUrl }));
}

// Upstreams added or removed by this process: a cache of them holds only what it read after the last of them.
let changes = 0;

/**
 * `read`, kept `ttlMs` per process: every login page shows the buttons and every account page its menu, and upstreams
 * rarely change. A change made in this process is shown at once, one made by another (an `idp upstreams` command on
 * the same database) within `ttlMs` (UPSTREAM_CACHE_SECONDS).
 */
function keptFor<T>(read: () => Promise<T>, ttlMs: number, clock: () => number): () => Promise<T> {
  let kept: { value: Promise<T>; until: number; changes: number } | undefined;
  return () => {
    if (kept && kept.until > clock() && kept.changes === changes) return kept.value;
    const value = read();
    kept = ttlMs ? { value, until: clock() + ttlMs, changes } : undefined;
    // A failed read is not kept.
    value.catch(() => {
      if (kept?.value === value) kept = undefined;
    });
    return value;
  };
}

/** `upstreamsFor`, kept (`keptFor`): the login page's buttons. */
export const cachedUpstreamsFor = (db: Knex, use: UpstreamUse, ttlMs: number, clock = Date.now): (() => Promise<UpstreamButton[]>) =>
  keptFor(() => upstreamsFor(db, use), ttlMs, clock);

/**
 * Whether a person's account menu leads to their linked logins: where an upstream is offered for linking, or where
 * they have a link (at an upstream since disabled or no longer offered for linking, so that it can still be seen and
 * removed). The upstreams are kept (`keptFor`); the person's links are read only where upstreams exist and none is
 * offered for linking, since without an upstream there is no link: a link goes with its upstream.
 */
export function linkedLoginsShown(db: Knex, ttlMs: number, clock = Date.now): (userId: string) => Promise<boolean> {
  const upstreams = keptFor(
    async () => {
      const all = await listUpstreams(db);
      return { any: all.length > 0, linkable: all.some((u) => u.enabled && u.uses.includes('link')) };
    },
    ttlMs,
    clock,
  );
  return async (userId) => {
    const { any, linkable } = await upstreams();
    return linkable || (any && (await db('upstream_links').where({ user_id: userId }).first('id')) !== undefined);
  };
}

/** Removes the upstream and every identity linked at it. */
export async function removeUpstream(db: Knex, slug: string): Promise<boolean> {
  const removed = (await db('upstream_providers').where({ slug }).delete()) > 0;
  changes++;
  return removed;
}

/** How the identity came to be linked: the account was made from it, or a login to the account linked it (null:
 *  linked before this was recorded). */
export type LinkProof = 'sign_up' | 'login';

export interface UpstreamLink {
  id: number;
  upstream_slug: string;
  subject_key: string;
  user_id: string;
  label: string | null;
  linked_at: Date;
  made_with: LinkProof | null;
}

/** Whether the link may stand in for the eID card when its account is reactivated: not one a login to the account
 *  made, which whoever had the password could make (after adding a second factor of his own, if need be). */
export const linkVouches = (link: Pick<UpstreamLink, 'made_with'>): boolean => link.made_with === 'sign_up';

export const findLink = (db: Knex, slug: string, subjectKey: string): Promise<UpstreamLink | undefined> =>
  db('upstream_links').where({ upstream_slug: slug, subject_key: subjectKey }).first();

/** The identities linked to an account, with their upstream's name, for the account page. */
export function linksOf(db: Knex, userId: string): Promise<(UpstreamLink & { name: string; logo_url: string | null })[]> {
  return db('upstream_links as l')
    .join('upstream_providers as p', 'p.slug', 'l.upstream_slug')
    .where({ 'l.user_id': userId })
    .orderBy('l.linked_at')
    .select('l.*', 'p.name', 'p.logo_url');
}

/** Links the identity to the account; refuses one already linked to another account, without naming it. */
export async function saveLink(
  trx: Knex,
  l: { slug: string; subjectKey: string; userId: string; label: string | null; madeWith: LinkProof },
  now = new Date(),
): Promise<'linked' | 'already'> {
  const existing = await findLink(trx, l.slug, l.subjectKey);
  if (existing) {
    if (existing.user_id === l.userId) return 'already';
    throw new AppError('upstream_linked_elsewhere', 'upstream.error.linked_elsewhere', 409);
  }
  const inserted = await trx('upstream_links')
    .insert({ upstream_slug: l.slug, subject_key: l.subjectKey, user_id: l.userId, label: l.label, linked_at: now, made_with: l.madeWith })
    .onConflict(['upstream_slug', 'subject_key'])
    .ignore()
    .returning('id');
  // Another request linked the same identity in between.
  if (inserted.length === 0) throw new AppError('upstream_linked_elsewhere', 'upstream.error.linked_elsewhere', 409);
  return 'linked';
}

/** Removes one of the account's links; undefined when it is not theirs (or gone already). */
export async function removeLink(db: Knex, userId: string, id: number): Promise<UpstreamLink | undefined> {
  const [removed] = await db('upstream_links').where({ id, user_id: userId }).delete().returning('*');
  return removed as UpstreamLink | undefined;
}

/** Removes every identity linked to the account (a reactivation takes it back): how many there were. */
export async function removeAllLinks(db: Knex, userId: string): Promise<number> {
  return db('upstream_links').where({ user_id: userId }).delete();
}
