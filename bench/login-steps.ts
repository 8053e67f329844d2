// Where a login's cost goes, request by request: logins one after another, each request's cost read from the
// provider's counters just before and after it. Sequential, so that a reading holds that one request only.
import { login, type LoadSpec, type LoginStep } from './load.ts';

export interface Counters {
  cpuMs: number;
  poolCpuMs: number;
  queries?: number;
}

export interface StepCost {
  step: LoginStep;
  /** The event loop's and V8's threads. */
  cpu_ms: number;
  /** libuv's thread pool: argon2id, WebCrypto's signatures. */
  pool_cpu_ms: number;
  statements?: number;
}

export async function loginSteps(read: () => Counters, spec: Omit<LoadSpec, 'scenario' | 'connections'>, logins: number): Promise<StepCost[]> {
  const sums = new Map<LoginStep, { cpu: number; pool: number; queries: number }>();
  const user = spec.users[0]!;
  // The first logins compile code and fill caches; a steady state is what is measured.
  for (let i = 0; i < 10; i++) await login(spec.issuer, spec, user);
  for (let i = 0; i < logins; i++) {
    await login(spec.issuer, spec, user, {}, async (step, request) => {
      const before = read();
      const answer = await request();
      const after = read();
      const sum = sums.get(step) ?? { cpu: 0, pool: 0, queries: 0 };
      sum.cpu += after.cpuMs - before.cpuMs - (after.poolCpuMs - before.poolCpuMs);
      sum.pool += after.poolCpuMs - before.poolCpuMs;
      sum.queries += (after.queries ?? 0) - (before.queries ?? 0);
      sums.set(step, sum);
      return answer;
    });
  }
  const counted = read().queries !== undefined;
  const round = (n: number) => Math.round(n * 100) / 100;
  return [...sums].map(([step, s]) => ({
    step,
    cpu_ms: round(s.cpu / logins),
    pool_cpu_ms: round(s.pool / logins),
    ...(counted ? { statements: round(s.queries / logins) } : {}),
  }));
}
