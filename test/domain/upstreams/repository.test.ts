// Upstreams and identity links on both databases: one account per identity (raced or not), links listed and removed
// per account, and removing an upstream removes its links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { testDb } from '../../helpers/db.ts';
import type { Db } from '../../../provider/platform/db/knex.ts';
import { createUserRepository, type User } from '../../../provider/domain/accounts/repository.ts';
import {
  addUpstream,
  cachedUpstreamsFor,
  findUpstream,
  linksOf,
  removeLink,
  removeUpstream,
  saveLink,
  upstreamsFor,
} from '../../../provider/domain/upstreams/repository.ts';
import { secretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import type { AppError } from '../../../provider/platform/errors.ts';

const kinds = ['pglite' as const, ...(has('postgres') ? ['postgres' as const] : [])];

describe.each(kinds)('upstream repository on %s', (kind) => {
  let db: Db;
  let an: User;
  let bo: User;
  const box = secretBox('k'.repeat(32));

  beforeAll(async () => {
    ({ db } = await testDb(kind));
    const users = createUserRepository({ uniqueEmail: true });
    an = await users.create(db, { username: 'an', status: 'active' });
    bo = await users.create(db, { username: 'bo', status: 'active' });
    await addUpstream(db, box, {
      slug: 'bank',
      name: 'My Bank',
      issuer: 'https://login.bank.example/',
      clientId: 'c',
      clientSecret: 's',
      uses: ['login', 'link'],
    });
    await addUpstream(db, box, { slug: 'gov', name: 'Gov', issuer: 'https://gov.example', clientId: 'c', clientSecret: 's', uses: ['reactivation'] });
  });
  afterAll(() => db?.destroy());

  it('keeps the login buttons for their time, shows a change made here at once and one made elsewhere once it is up', async () => {
    let now = 0;
    const buttons = cachedUpstreamsFor(db, 'login', 5000, () => now);
    const names = async () => (await buttons()).map((b) => b.slug);
    expect(await names()).toEqual(['bank']);
    await addUpstream(db, box, { slug: 'coop', name: 'Coop', issuer: 'https://coop.example', clientId: 'c', clientSecret: 's', uses: ['login'] });
    expect(await names()).toEqual(['coop', 'bank']);
    // Another process removes it: this one shows it until its time is up.
    await db('upstream_providers').where({ slug: 'coop' }).delete();
    now = 4999;
    expect(await names()).toEqual(['coop', 'bank']);
    now = 5001;
    expect(await names()).toEqual(['bank']);
  });

  it('keeps the configuration, the secret sealed, and offers each upstream for its uses only', async () => {
    const bank = (await findUpstream(db, 'bank'))!;
    expect(bank).toMatchObject({ issuer: 'https://login.bank.example', uses: ['login', 'link'], scopes: 'openid', subjectClaim: 'sub', enabled: true });
    expect(box.open(bank.sealedSecret, 'bank')).toBe('s');
    expect((await upstreamsFor(db, 'login')).map((u) => u.slug)).toEqual(['bank']);
    expect((await upstreamsFor(db, 'reactivation')).map((u) => u.slug)).toEqual(['gov']);
    const again = await addUpstream(db, box, { slug: 'bank', name: 'X', issuer: 'https://x.example', clientId: 'c', clientSecret: 's' }).catch(
      (e: AppError) => e.code,
    );
    expect(again).toBe('upstream_exists');
  });

  it('links an identity to one account only, even when two requests race', async () => {
    const attempts = await Promise.allSettled(
      [an, bo].map((u) => db.transaction((trx) => saveLink(trx, { slug: 'bank', subjectKey: 'sub-1', userId: u.id, label: 'Jan', madeWith: 'login' }))),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const refused = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected')!;
    expect((refused.reason as AppError).code).toBe('upstream_linked_elsewhere');
    const owner = (await db('upstream_links').where({ subject_key: 'sub-1' }).first()).user_id;
    expect(await saveLink(db, { slug: 'bank', subjectKey: 'sub-1', userId: owner, label: 'Jan', madeWith: 'login' })).toBe('already');
  });

  it('lists and removes an account’s links, never another’s; removing the upstream removes its links', async () => {
    await saveLink(db, { slug: 'gov', subjectKey: 'gov-1', userId: an.id, label: null, madeWith: 'login' });
    const mine = await linksOf(db, an.id);
    expect(mine.map((l) => l.name)).toContain('Gov');
    const gov = mine.find((l) => l.upstream_slug === 'gov')!;
    expect(await removeLink(db, bo.id, gov.id)).toBeUndefined();
    expect((await removeLink(db, an.id, gov.id))?.subject_key).toBe('gov-1');
    expect(await removeUpstream(db, 'bank')).toBe(true);
    expect(await db('upstream_links').where({ upstream_slug: 'bank' })).toHaveLength(0);
  });
});
