// `idp mail test`: one mail through the outbox and the configured transport, to check the settings.
import { z } from 'zod';
import { enqueueMail, findMessage } from '../../../domain/messaging/outbox.ts';
import { createOutboxWorker } from '../../../domain/messaging/worker.ts';
import { transportsFromConfig } from '../../../domain/messaging/transports.ts';
import { audit } from '../../../platform/audit.ts';
import { LOCALE_HELP, type CommandContext } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';

export const mail: CommandSpec<CommandContext> = {
  summary: 'mail: test',
  subcommands: {
    test: action({
      summary: 'Sends a test mail through the outbox and the configured SMTP server, and says whether it was delivered.',
      options: { to: { type: 'string', arg: 'ADDRESS', required: true, help: 'recipient' }, locale: { type: 'string', arg: 'L', help: LOCALE_HELP } },
      async run({ values }, { config, io, db: open }: CommandContext) {
        const input = z
          .object({ to: z.email('expected an e-mail address'), locale: z.enum(['nl', 'fr', 'de', 'en']).default(config.defaultLocale) })
          .parse(values);
        const db = await open();
        // A mail from the service's own address to any address staff type: recorded, with its mail, as staff's doing.
        const id = await db.transaction(async (trx) => {
          const queued = await enqueueMail(trx, {
            to: input.to,
            template: 'notice',
            locale: input.locale,
            params: { title: { key: 'mail.test.title' }, paragraphs: [{ key: 'mail.test.body' }] },
          });
          await audit(trx, 'admin.test_mail_queued', { details: { message: queued, via: 'cli' } });
          return queued;
        });
        const worker = createOutboxWorker({
          db,
          transports: transportsFromConfig(config),
          pollMs: 1000,
          maxAttempts: 1,
          backoff: { baseMs: 1000, maxMs: 1000 },
        });
        await worker.drain();
        const sent = await findMessage(db, id);
        io.out(sent?.status === 'sent' ? `Sent to ${input.to} via ${sent.transport}\n` : `Not sent: ${sent?.lastError ?? 'unknown error'}\n`);
        if (sent?.status !== 'sent') io.exitCode = 1;
      },
    }),
  },
};
