// argon2id hashing with the configured cost; a stored hash made with other parameters is upgraded at the next
// successful login. Verifying against a fixed dummy hash when no account matches keeps the answer time the same.
import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * At most `limit` argon2id computations of this process at once; the others wait their turn. libuv's four threads
 * would otherwise all hash at once and leave the event loop, which answers every other request, without a core.
 */
function createGate(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so that `running` never counts one too many.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches; with `hash` undefined it burns the same time and answers false. */
  verify(hash: string | null | undefined, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
}

/** `concurrency`: argon2id computations at once in this process (ARGON2_CONCURRENCY). */
export function createPasswordHasher(params: Argon2Params & { concurrency: number }): PasswordHasher {
  const { concurrency, ...cost } = params;
  const options = { type: argon2.argon2id, ...cost } as const;
  const gate = createGate(concurrency);
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => gate(() => argon2.hash(password, options)),
    async verify(hash, password) {
      if (!hash) {
        dummy ??= argon2.hash('not a password of anyone', options);
        const stored = await dummy;
        await gate(() => argon2.verify(stored, password)).catch(() => false);
        return false;
      }
      try {
        return await gate(() => argon2.verify(hash, password));
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
  };
}
