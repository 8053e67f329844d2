// Every `idp` command that changes something leaves its audit event, committed with the change (a refused change
// leaves none), as `idp audit` then shows it: what changed and that the command line did it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { idp } from '../../helpers/cli.ts';

describe('idp commands that change something', { timeout: 120_000 }, () => {
  let p: TestProvider;
  let dir: string;
  beforeAll(async () => {
    p = await startTestProvider('pglite');
    dir = mkdtempSync(path.join(tmpdir(), 'idp-audited-'));
  });
  afterAll(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The events `idp audit --json` prints for `type`, oldest first, each with its details. */
  const trail = async (type: string) =>
    (await idp(p, ['audit', '--type', type, '--json'])).out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; details: Record<string, unknown> })
      .reverse()
      .map((e) => [e.event, e.details]);
  const ok = async (argv: string[]) => {
    const r = await idp(p, argv);
    expect(r.code, r.err).toBe(0);
    return r;
  };

  it('audits the organisations, clients, keys, upstreams and test mails it changes', async () => {
    await ok(['orgs', 'create', 'Brandweer', '--no-notify']);
    await ok(['orgs', 'set-notify', 'Brandweer', 'on']);
    await ok(['orgs', 'set-reviewers', 'Brandweer', 'on']);
    // A refused change leaves no event: the row and its event commit together.
    expect((await idp(p, ['orgs', 'create', 'brandweer'])).code).toBe(2);
    const { id: org } = await p.db('organisations').where({ name: 'Brandweer' }).first<{ id: string }>('id');

    await ok(['clients', 'create', '--name', 'Shop', '--redirect-uri', 'https://shop.example/cb', '--client-id', 'shop']);
    expect((await idp(p, ['clients', 'create', '--name', 'Shop', '--redirect-uri', 'not a url', '--client-id', 'bad'])).code).toBe(2);
    await ok(['clients', 'rotate-secret', 'shop']);
    await ok(['clients', 'delete', 'shop']);
    expect((await idp(p, ['clients', 'delete', 'shop'])).code).toBe(2);

    const rotated = /^New signing keys: (\S+), (\S+)\n/.exec((await ok(['keys', 'rotate'])).out)!;

    const bank = ['--slug', 'bank', '--name', 'Bank', '--issuer', 'https://login.bank.example', '--client-id', 'belid', '--client-secret', 'secret'];
    await ok(['upstreams', 'add', ...bank, '--use', 'login']);
    await ok(['upstreams', 'remove', 'bank']);
    expect((await idp(p, ['upstreams', 'remove', 'bank'])).code).toBe(1);

    await idp(p, ['mail', 'test', '--to', 'ops@example.be']);
    const { id: mail } = await p.db('outbox').where({ recipient: 'ops@example.be' }).first<{ id: string }>('id');

    expect(await trail('admin.*')).toEqual([
      ['admin.organisation_created', { organisation: org, notify: false, via: 'cli' }],
      ['admin.organisation_notify', { organisation: org, notify: true, via: 'cli' }],
      ['admin.organisation_reviewers', { organisation: org, reviewers: true, via: 'cli' }],
      ['admin.client_created', { client: 'shop', public: false, via: 'cli' }],
      ['admin.client_secret_rotated', { client: 'shop', via: 'cli' }],
      ['admin.client_deleted', { client: 'shop', via: 'cli' }],
      ['admin.keys_rotated', { kids: [rotated[1], rotated[2]], via: 'cli' }],
      ['admin.upstream_added', { upstream: 'bank', issuer: 'https://login.bank.example', uses: ['login'], via: 'cli' }],
      ['admin.upstream_removed', { upstream: 'bank', via: 'cli' }],
      ['admin.test_mail_queued', { message: mail, via: 'cli' }],
    ]);
  });

  it('audits the invitations and customer records it imports and the invitation it renames', async () => {
    const csv = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    await ok(['invitations', 'import', csv('class.csv', 'Vorname;Nachname;Klasse\nMax;Peeters;6a\nLea;;6a\n'), '--partial']);
    const { username } = await p.db('invitations').first<{ username: string }>('username');
    await ok(['invitations', 'rename', username, 'max.p']);
    await ok(['customers', 'import', csv('customers.csv', 'Kundennummer;Name\nA-1;Smith, John\n')]);
    const { id: invitation } = await p.db('invitations').first<{ id: string }>('id');
    expect([...(await trail('invitations.*')), ...(await trail('invitation.*')), ...(await trail('customers.*'))]).toEqual([
      ['invitations.imported', { count: 1, skipped: [3] }],
      ['invitation.renamed', { invitation, from: username, to: 'max.p' }],
      ['customers.imported', { count: 1, skipped: [] }],
    ]);
  });
});

describe('idp commands that show people', { timeout: 120_000 }, () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startTestProvider('pglite');
    await p.services.users.create(p.db, { username: 'noor', email: 'noor@example.be', status: 'active' });
  });
  afterAll(() => p?.close());

  // The operator's looks are recorded as staff's on /admin are, the command line named instead of a staff member:
  // under the person for one person's data, with what was searched for a listing (a national number as its hash).
  it('records each look at a person or a listing, as the staff pages do', async () => {
    for (const argv of [
      ['users', 'show', 'noor'],
      ['users', 'export', 'noor'],
      ['users', 'list', '--search', '85.07.30-033.28'],
      ['users', 'list'],
    ])
      expect((await idp(p, argv)).code).toBe(0);
    const { id } = await p.db('users').where({ username: 'noor' }).first<{ id: string }>('id');
    const events = await p.db('audit_log').where('event', 'like', 'admin.%').orderBy('id').select('event', 'user_id', 'details');
    expect(events).toEqual([
      { event: 'admin.person_viewed', user_id: id, details: { via: 'cli', command: 'show' } },
      { event: 'admin.person_viewed', user_id: id, details: { via: 'cli', command: 'export' } },
      {
        event: 'admin.search_viewed',
        user_id: null,
        details: { via: 'cli', kind: 'national_number', q: { national_number_hmac: expect.stringMatching(/^[0-9a-f]{64}$/) }, results: 0 },
      },
      { event: 'admin.search_viewed', user_id: null, details: { via: 'cli', kind: 'text', q: '', results: 1 } },
    ]);
  });
});
