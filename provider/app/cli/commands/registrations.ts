// The staff's `idp` subcommands for registration: importing invitations (with the sheet of slips) and customer
// records, and the review queue. Each returns what to print and whether it succeeded; provider/app/cli.ts prints it.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../../services.ts';
import { print, type CommandContext, type CommandOutput } from '../context.ts';
import { action, type CommandSpec } from '../spec.ts';
import { isLocale } from '../../../platform/web/i18n.ts';
import { importInvitations } from '../../../domain/invitations/import.ts';
import { renderSheet } from '../../../domain/invitations/sheet.ts';
import { importCustomers } from '../../../domain/customers/customers.ts';
import { formatReport } from '../../../domain/imports/report.ts';
import { createRegistrationService } from '../../../flows/registration/service.ts';

type Deps = Pick<Services, 'config' | 'db' | 'users' | 'hasher' | 'tokens'>;

/** Where the slips go when --sheet is not given: next to the CSV file. */
const defaultSheet = (file: string) => path.join(path.dirname(file), `${path.basename(file, path.extname(file))}-slips.html`);

export async function importInvitationsCommand(
  s: Deps,
  file: string,
  o: { partial?: boolean | undefined; sheet?: string | undefined; locale?: string | undefined },
): Promise<CommandOutput> {
  const locale = o.locale ?? s.config.defaultLocale;
  if (!isLocale(locale)) return { stdout: '', stderr: `--locale must be one of nl, fr, de, en`, ok: false };
  const report = await importInvitations(s, await readFile(file, 'utf8'), { partial: o.partial ?? false });
  const out = formatReport(report, report.imported.length === 1 ? 'invitation' : 'invitations');
  const lines = [out.summary];
  if (report.imported.length) {
    const sheet = o.sheet ?? defaultSheet(file);
    await writeFile(sheet, renderSheet(report.imported, { locale, issuerUrl: s.config.issuerUrl, activationTtl: s.config.activationTtl }), { mode: 0o600 });
    lines.push(...report.imported.map((i) => `  line ${i.line}: ${i.username}  (${i.givenName} ${i.familyName}, ${i.group})`));
    lines.push(`Slips with the initial passwords: ${sheet} — print it, hand out the slips, then delete the file: the passwords are stored nowhere else.`);
  }
  return { stdout: `${lines.join('\n')}\n`, stderr: out.errors.length ? `${out.errors.join('\n')}\n` : '', ok: out.ok };
}

export async function renameInvitationCommand(s: Deps, username: string, next: string): Promise<CommandOutput> {
  await createRegistrationService(s).rename(username, next);
  return { stdout: `Renamed ${username} to ${next.trim().toLowerCase()}\n`, ok: true };
}

export async function importCustomersCommand(s: Deps, file: string, o: { partial?: boolean | undefined }): Promise<CommandOutput> {
  const report = await importCustomers(s.db, await readFile(file, 'utf8'), { partial: o.partial ?? false });
  const count = (c: string) => report.imported.filter((i) => i.change === c).length;
  const noun = `customer record${report.imported.length === 1 ? '' : 's'} (${count('new')} new, ${count('renamed')} with a changed name, ${count('unchanged')} unchanged)`;
  const out = formatReport(report, noun);
  return { stdout: `${out.summary}\n`, stderr: out.errors.length ? `${out.errors.join('\n')}\n` : '', ok: out.ok };
}

export async function registrationsCommand(
  s: Deps,
  action: string,
  id: string | undefined,
  o: { username?: string | undefined; reason?: string | undefined },
): Promise<CommandOutput> {
  const registration = createRegistrationService(s);
  if (action === 'list') {
    const queue = await registration.queue();
    if (!queue.length) return { stdout: 'No registrations are waiting for review.\n', ok: true };
    const rows = queue.map((r) =>
      [
        r.id,
        r.username,
        r.group_name ?? '',
        `${r.given_name} ${r.family_name}`,
        `${r.corrected_given_name} ${r.corrected_family_name}`,
        r.pending_registration?.email ?? '',
        r.suggestedUsername,
      ].join('\t'),
    );
    return { stdout: `${['id\tusername\tgroup\tissued name\tcorrected name\te-mail\tusername after approval', ...rows].join('\n')}\n`, ok: true };
  }
  if (action === 'approve' && id) {
    const { username } = await registration.approve(id, { username: o.username });
    return { stdout: `Approved: the username is ${username}; an e-mail with the activation link was sent.\n`, ok: true };
  }
  if (action === 'reject' && id) {
    await registration.reject(id, { reason: o.reason });
    return { stdout: 'Rejected; the person was told by e-mail.\n', ok: true };
  }
  return { stdout: '', stderr: 'usage: idp registrations list | approve ID [--username NEW] | reject ID [--reason TEXT]\n', ok: false };
}

export const registrations: CommandSpec<CommandContext> = {
  summary: 'registrations waiting for review: list, approve, reject',
  subcommands: {
    list: action({
      summary: 'Lists the registrations with corrected names waiting for review.',
      run: async (_input, { io, services }: CommandContext) => print(io, await registrationsCommand(await services(), 'list', undefined, {})),
    }),
    approve: action({
      summary: 'Approves a registration and mails the activation link.',
      args: ['ID'],
      options: { username: { type: 'string', arg: 'NEW', help: 'another username than the one derived from the corrected names' } },
      run: async ({ values, args: [id] }, { io, services }: CommandContext) => print(io, await registrationsCommand(await services(), 'approve', id, values)),
    }),
    reject: action({
      summary: 'Rejects a registration; the person is mailed.',
      args: ['ID'],
      options: { reason: { type: 'string', arg: 'TEXT', help: 'the reason given in the mail' } },
      run: async ({ values, args: [id] }, { io, services }: CommandContext) => print(io, await registrationsCommand(await services(), 'reject', id, values)),
    }),
  },
};
