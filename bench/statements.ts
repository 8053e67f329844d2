// `npm run bench -- --statements`: one operation of each scenario against PostgreSQL, and the statements the
// provider sent for it, in order, as the wire counter saw them. The per-operation counts under load say how many;
// this says which, so that a cut can be aimed.
import { basic, login, type LoadSpec, type TokenResponse } from './load.ts';
import type { WireCounter } from './pg-wire-counter.ts';

type Spec = Omit<LoadSpec, 'scenario' | 'connections'>;

async function token(spec: Spec, client: { id: string; secret: string }, body: Record<string, string>): Promise<TokenResponse> {
  const answer = await fetch(new URL('/token', spec.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.id, client.secret) },
    body: new URLSearchParams(body),
  });
  if (answer.status !== 200) throw new Error(`token: HTTP ${answer.status} ${await answer.text()}`);
  return (await answer.json()) as TokenResponse;
}

/** Each operation twice (the first warms the caches a steady state has), the second's statements kept. */
export async function listStatements(counter: WireCounter, spec: Spec): Promise<Record<string, string[]>> {
  const user = spec.users[0]!;
  const granted = await login(spec.issuer, spec, user, { scope: 'openid offline_access', prompt: 'consent' });
  let refresh = granted.refresh_token!;
  const operations: Record<string, () => Promise<unknown>> = {
    password_login: () => login(spec.issuer, spec, user),
    refresh_token: async () => (refresh = (await token(spec, spec.client, { grant_type: 'refresh_token', refresh_token: refresh })).refresh_token!),
    userinfo: async () => {
      const answer = await fetch(new URL('/me', spec.issuer), { headers: { authorization: `Bearer ${granted.access_token}` } });
      if (answer.status !== 200) throw new Error(`userinfo: HTTP ${answer.status}`);
    },
    client_credentials: () => token(spec, spec.machine, { grant_type: 'client_credentials' }),
    client_credentials_jwt: () => token(spec, spec.machine, { grant_type: 'client_credentials', resource: spec.api }),
  };
  const listed: Record<string, string[]> = {};
  for (const [name, operation] of Object.entries(operations)) {
    await operation();
    counter.takeStatements();
    await operation();
    listed[name] = counter.takeStatements();
  }
  return listed;
}
