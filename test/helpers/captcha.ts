// The ALTCHA as a script meets it: a challenge from the provider, solved as the widget's worker solves it, and sent
// in the field the widget fills in; and a solution of a challenge the provider never signed.
import { createChallenge, solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';

/** The widget's field: the challenge and its solution, as base64 JSON. */
export const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64');

export const fetchChallenge = async (issuer: string) => (await (await fetch(`${issuer}/captcha/challenge`)).json()) as Challenge;

export async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  return encode({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution });
}

/** A cheap challenge signed with another key than the provider's, solved. */
export async function forgedSolution(): Promise<string> {
  const forged = await createChallenge({
    algorithm: 'PBKDF2/SHA-256',
    cost: 1,
    counter: 1,
    deriveKey,
    expiresAt: new Date(Date.now() + 60_000),
    hmacSignatureSecret: 'not the provider key, but long enough',
  });
  return solve(forged);
}
