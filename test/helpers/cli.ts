// `idp …` run in the test's process on a test provider's services, the way a serving provider runs it, for tests that
// check a command through what a person or a relying app meets afterwards.
import { commands, type CommandContext } from '../../provider/app/cli/commands.ts';
import { runSpec } from '../../provider/app/cli/spec.ts';
import type { Io } from '../../provider/app/cli/io.ts';
import { describeError } from '../../provider/app/cli/describe-error.ts';
import type { TestProvider } from './provider.ts';

/** Runs `idp …` on `p`'s services; answers each question with the next of `answers`. */
export async function idp(p: TestProvider | undefined, argv: string[], answers: string[] = []) {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), ask: async () => answers.shift() ?? '', exitCode: 0 };
  const ctx: CommandContext = {
    config: p?.services.config as CommandContext['config'],
    io,
    cwd: process.cwd(),
    db: async () => p!.db,
    services: async () => p!.services,
  };
  try {
    await runSpec(argv[0]!, commands[argv[0]!]!, argv.slice(1), io, ctx);
  } catch (e) {
    err += describeError(e);
    io.exitCode = 2;
  }
  return { code: io.exitCode, out, err };
}
