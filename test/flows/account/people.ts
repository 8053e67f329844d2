// The account most account-page tests start from: active, its address verified, a password, logged in to the
// account pages in a browser of its own.
import { expect } from 'vitest';
import type { TestProvider } from '../../helpers/provider.ts';
import type { User, UserRepository } from '../../../provider/domain/accounts/repository.ts';
import { Agent } from './agent.ts';

export async function loggedInPerson(
  idp: TestProvider,
  username: string,
  password: string,
  fields: Partial<Parameters<UserRepository['create']>[1]> = {},
): Promise<{ user: User; agent: Agent }> {
  const { db, users, hasher } = idp.services;
  const user = await users.create(db, {
    username,
    email: `${username}@example.be`,
    emailVerified: true,
    passwordHash: await hasher.hash(password),
    status: 'active',
    ...fields,
  });
  const agent = new Agent(idp.issuer);
  expect((await agent.login(username, password)).url).toBe(`${idp.issuer}/account`);
  return { user, agent };
}
