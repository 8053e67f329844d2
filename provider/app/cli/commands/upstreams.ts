// `idp upstreams add|list|remove`: staff configure the upstream OpenID providers. The client secret is read from
// the terminal when --client-secret is not given (so it stays out of the shell history), stored encrypted, and
// never printed back. A logo (file or URL) is read once and kept as a data: URI, so that pages show it under the
// strict CSP without asking another site.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../../services.ts';
import { print, type CommandContext, type CommandOutput } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';
import { addUpstream, listUpstreams, removeUpstream, UPSTREAM_USES, type UpstreamInput } from '../../../domain/upstreams/repository.ts';
import { upstreamSecretBox } from '../../../domain/upstreams/secret-box.ts';
import { audit } from '../../../platform/audit.ts';

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

const LOGO_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};
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

export async function upstreamsCommand(
  s: Pick<Services, 'config' | 'db'>,
  action: string,
  slug: string | undefined,
  o: AddOptions,
  askSecret: () => Promise<string>,
): Promise<CommandOutput> {
  if (action === 'list') {
    const rows = await listUpstreams(s.db);
    if (!rows.length) return { stdout: 'No upstream providers\n', ok: true };
    const lines = rows.map((u) =>
      [
        u.slug,
        u.name,
        u.issuer,
        `client ${u.clientId}`,
        `subject ${u.subjectClaim}`,
        `uses ${u.uses.join(',')}`,
        u.acrFromUpstream ? 'acr from upstream' : '',
        u.trustNationalNumber ? 'trusted for the national number' : '',
        u.enabled ? '' : 'disabled',
      ]
        .filter(Boolean)
        .join('\t'),
    );
    return { stdout: `${lines.join('\n')}\n`, ok: true };
  }
  if (action === 'remove' && slug) {
    const removed = await s.db.transaction(async (trx) => {
      const done = await removeUpstream(trx, slug);
      if (done) await audit(trx, 'admin.upstream_removed', { details: { upstream: slug, via: 'cli' } });
      return done;
    });
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
    uses: o.use
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean) as UpstreamInput['uses'],
    logoUrl: o.logo ? await logoDataUri(o.logo) : undefined,
    acrFromUpstream: o['acr-from-upstream'] ?? false,
    trustNationalNumber: o['trust-national-number'] ?? false,
  };
  const box = await upstreamSecretBox(s.config, s.db);
  const u = await s.db.transaction(async (trx) => {
    const added = await addUpstream(trx, box, input);
    await audit(trx, 'admin.upstream_added', { details: { upstream: added.slug, issuer: added.issuer, uses: added.uses, via: 'cli' } });
    return added;
  });
  return {
    stdout: [
      `Added upstream ${u.slug} (${u.name}) at ${u.issuer}, subject ${u.subjectClaim}, for ${u.uses.join(', ')}`,
      `Register this redirect URI at the upstream: ${s.config.issuerUrl}/upstream/callback`,
      '',
    ].join('\n'),
    ok: true,
  };
}

/** Upstream OpenID providers (a bank, a government login): upstreams.ts. */
export const upstreams: CommandSpec<CommandContext> = {
  summary: 'upstream OpenID providers: add, list, remove',
  subcommands: {
    add: action({
      summary: 'Adds an upstream provider; asks for the client secret when not given, and keeps it encrypted.',
      options: {
        slug: { type: 'string', arg: 'S', required: true, help: 'short name in URLs: lower-case letters, digits, dashes' },
        name: { type: 'string', arg: 'N', required: true, help: 'name on the buttons ("Log in with N")' },
        issuer: { type: 'string', arg: 'URL', required: true, help: 'the upstream issuer (https; http only on 127.0.0.1/localhost)' },
        'client-id': { type: 'string', arg: 'ID', required: true, help: 'our client_id at the upstream' },
        'client-secret': { type: 'string', arg: 'S', help: 'our client secret there (better typed when asked)' },
        scope: { type: 'string', arg: '"openid profile"', help: 'the scopes asked (default "openid profile email")' },
        'subject-claim': { type: 'string', arg: 'sub|email|national_number', help: 'the claim that recognises the person' },
        use: { type: 'string', arg: 'login,link,reactivation', help: 'where it is offered (default all three)' },
        logo: { type: 'string', arg: 'FILE|URL', help: 'logo on the buttons, stored as a data: URI' },
        'acr-from-upstream': { type: 'boolean', help: "ID tokens carry the upstream's acr instead of urn:belid:acr:fed" },
        'trust-national-number': {
          type: 'boolean',
          help: 'a national number it states logs into the card-linked account without a link (full trust: see README)',
        },
      },
      async run({ values }, { io, cwd, services }: CommandContext) {
        const logo = values.logo === undefined || /^https?:\/\//.test(values.logo) ? values.logo : path.resolve(cwd, values.logo);
        print(io, await upstreamsCommand(await services(), 'add', undefined, { ...values, logo }, () => io.ask('Client secret: ')));
      },
    }),
    list: action({
      summary: 'Lists the upstream providers (never their secrets).',
      run: async (_input, { io, services }: CommandContext) => print(io, await upstreamsCommand(await services(), 'list', undefined, {}, () => io.ask(''))),
    }),
    remove: action({
      summary: 'Removes an upstream provider and the identities linked at it.',
      args: ['SLUG'],
      run: async ({ args: [slug] }, { io, services }: CommandContext) =>
        print(io, await upstreamsCommand(await services(), 'remove', slug, {}, () => io.ask(''))),
    }),
  },
};
