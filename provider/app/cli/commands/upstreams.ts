// `idp upstreams add|list|remove`: staff configure the upstream OpenID providers. The client secret is read from
// the terminal when --client-secret is not given (so it stays out of the shell history), stored encrypted, and
// never printed back. A logo (file or URL) is read once and kept as a data: URI, so that pages show it under the
// strict CSP without asking another site.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../../server.ts';
import type { CommandOutput } from './registrations.ts';
import { addUpstream, listUpstreams, removeUpstream, UPSTREAM_USES, type UpstreamInput } from '../../../domain/upstreams/repository.ts';
import { upstreamSecretBox } from '../../../domain/upstreams/secret-box.ts';

export const UPSTREAMS_USAGE = [
  'usage: idp upstreams add --slug SLUG --name "My Bank" --issuer URL --client-id ID [--client-secret S] [--scope "openid profile"]',
  `         [--subject-claim sub|email|national_number] [--use ${UPSTREAM_USES.join(',')}] [--logo FILE|URL] [--acr-from-upstream]`,
  '         [--trust-national-number]   (with --subject-claim national_number: log into card-linked accounts without a link)',
  '       idp upstreams list',
  '       idp upstreams remove SLUG',
].join('\n');

export interface AddOptions {
  slug?: string | undefined;
  name?: string | undefined;
  issuer?: string | undefined;
  'client-id'?: string | undefined;
  'client-secret'?: string | undefined;
  scope?: string | undefined;
  'subject-claim'?: string | undefined;
  use?: string | undefined;
  logo?: string | undefined;
  'acr-from-upstream'?: boolean | undefined;
  'trust-national-number'?: boolean | undefined;
}

const LOGO_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.webp': 'image/webp', '.gif': 'image/gif' };
const MAX_LOGO_BYTES = 64 * 1024;

/** The logo as a data: URI, from a file or an http(s) URL. */
export async function logoDataUri(source: string): Promise<string> {
  let bytes: Buffer;
  let type: string | undefined;
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`the logo could not be fetched: HTTP ${res.status}`);
    type = res.headers.get('content-type')?.split(';')[0]?.trim();
    bytes = Buffer.from(await res.arrayBuffer());
  } else {
    type = LOGO_TYPES[path.extname(source).toLowerCase()];
    bytes = await readFile(source);
  }
  if (!type || !Object.values(LOGO_TYPES).includes(type)) throw new Error('the logo must be a PNG, JPEG, SVG, WebP or GIF image');
  if (bytes.length > MAX_LOGO_BYTES) throw new Error(`the logo must be at most ${MAX_LOGO_BYTES / 1024} KiB`);
  return `data:${type};base64,${bytes.toString('base64')}`;
}

export async function upstreamsCommand(s: Pick<Services, 'config' | 'db'>, action: string, slug: string | undefined, o: AddOptions, askSecret: () => Promise<string>): Promise<CommandOutput> {
  if (action === 'list') {
    const rows = await listUpstreams(s.db);
    if (!rows.length) return { stdout: 'No upstream providers\n', ok: true };
    const lines = rows.map((u) => [u.slug, u.name, u.issuer, `client ${u.clientId}`, `subject ${u.subjectClaim}`, `uses ${u.uses.join(',')}`, u.acrFromUpstream ? 'acr from upstream' : '', u.trustNationalNumber ? 'trusted for the national number' : '', u.enabled ? '' : 'disabled'].filter(Boolean).join('\t'));
    return { stdout: `${lines.join('\n')}\n`, ok: true };
  }
  if (action === 'remove' && slug) {
    const removed = await removeUpstream(s.db, slug);
    return removed ? { stdout: `Removed ${slug} and every identity linked at it\n`, ok: true } : { stdout: '', stderr: `No upstream "${slug}"\n`, ok: false };
  }
  if (action !== 'add') return { stdout: '', stderr: `${UPSTREAMS_USAGE}\n`, ok: false };
  const input: UpstreamInput = {
    slug: o.slug ?? '',
    name: o.name ?? '',
    issuer: o.issuer ?? '',
    clientId: o['client-id'] ?? '',
    clientSecret: o['client-secret'] ?? (await askSecret()),
    scopes: o.scope,
    subjectClaim: o['subject-claim'] as UpstreamInput['subjectClaim'],
    uses: o.use?.split(',').map((x) => x.trim()).filter(Boolean) as UpstreamInput['uses'],
    logoUrl: o.logo ? await logoDataUri(o.logo) : undefined,
    acrFromUpstream: o['acr-from-upstream'] ?? false,
    trustNationalNumber: o['trust-national-number'] ?? false,
  };
  const u = await addUpstream(s.db, await upstreamSecretBox(s.config, s.db), input);
  return {
    stdout: [
      `Added upstream ${u.slug} (${u.name}) at ${u.issuer}, subject ${u.subjectClaim}, for ${u.uses.join(', ')}`,
      `Register this redirect URI at the upstream: ${s.config.issuerUrl}/upstream/callback`,
      '',
    ].join('\n'),
    ok: true,
  };
}
