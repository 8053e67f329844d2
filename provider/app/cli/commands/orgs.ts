// `idp orgs`: the organisations notifications are sent through, and their members.
import * as organisations from '../../../domain/accounts/organisations.ts';
import { audit } from '../../../platform/audit.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../io.ts';
import { action, type CommandSpec } from '../spec.ts';

/** Organisations for notifications: staff put users in them; one set not to notify never alerts its members. */
export const orgs: CommandSpec<CommandContext> = {
  summary: 'organisations for notifications: list, create, add-member, remove-member, set-notify, set-reviewers',
  subcommands: {
    list: action({
      summary: 'Lists the organisations, their member counts and whether they notify.',
      async run(_input, { io, db }: CommandContext) {
        for (const o of await organisations.listOrganisations(await db()))
          io.out(`${o.name}\t${o.members} member(s)\t${o.notify ? 'notifies' : 'does not notify'}\n`);
      },
    }),
    create: action({
      summary: 'Creates an organisation.',
      args: ['NAME'],
      options: { 'no-notify': { type: 'boolean', help: 'its notifications are recorded as skipped' } },
      async run({ values, args: [name] }, { io, db }: CommandContext) {
        // Audited as the staff pages audit it, in the same transaction.
        const o = await (
          await db()
        ).transaction(async (trx) => {
          const made = await organisations.createOrganisation(trx, name!, !values['no-notify']);
          await audit(trx, 'admin.organisation_created', { details: { organisation: made.id, notify: made.notify, via: 'cli' } });
          return made;
        });
        io.out(`Created organisation ${o.name} (${o.notify ? 'notifies' : 'does not notify'})\n`);
      },
    }),
    'add-member': action({
      summary: 'Puts a user in an organisation.',
      args: ['ORG', 'USERNAME'],
      run: ({ args: [org, name] }, ctx: CommandContext) => membership(ctx, 'add', org!, name!),
    }),
    'remove-member': action({
      summary: 'Takes a user out of an organisation.',
      args: ['ORG', 'USERNAME'],
      run: ({ args: [org, name] }, ctx: CommandContext) => membership(ctx, 'remove', org!, name!),
    }),
    'set-notify': action({
      summary: 'Decides whether an organisation sends notifications: on or off.',
      args: ['ORG', 'on|off'],
      async run({ args: [org, value] }, { io, db: open }: CommandContext) {
        if (value !== 'on' && value !== 'off') throw new UsageError('usage: idp orgs set-notify ORG on|off');
        const db = await open();
        const o = await organisations.getOrganisation(db, org!);
        await db.transaction(async (trx) => {
          await organisations.setOrganisationNotify(trx, o.id, value === 'on');
          await audit(trx, 'admin.organisation_notify', { details: { organisation: o.id, notify: value === 'on', via: 'cli' } });
        });
        io.out(`${o.name} ${value === 'on' ? 'notifies' : 'does not notify'} from now on\n`);
      },
    }),
    'set-reviewers': action({
      summary: 'Decides whether the members of an organisation are told of requests waiting for review: on or off.',
      args: ['ORG', 'on|off'],
      async run({ args: [org, value] }, { io, db: open }: CommandContext) {
        if (value !== 'on' && value !== 'off') throw new UsageError('usage: idp orgs set-reviewers ORG on|off');
        const db = await open();
        const o = await organisations.getOrganisation(db, org!);
        await db.transaction(async (trx) => {
          await organisations.setOrganisationReviewers(trx, o.id, value === 'on');
          await audit(trx, 'admin.organisation_reviewers', { details: { organisation: o.id, reviewers: value === 'on', via: 'cli' } });
        });
        io.out(`${o.name}: its members ${value === 'on' ? 'are' : 'are not'} told of requests waiting for review\n`);
      },
    }),
  },
};

async function membership({ io, services }: CommandContext, change: 'add' | 'remove', org: string, name: string): Promise<void> {
  const { db, users } = await services();
  const o = await organisations.getOrganisation(db, org);
  const [user] = await users.findByIdentifier(db, name, 'username');
  if (!user) throw new UsageError(`No user with username "${name}"`);
  // Audited as the staff pages audit it, in the same transaction.
  const changed = await db.transaction(async (trx) => {
    const done = change === 'add' ? await organisations.addMember(trx, o.id, user.id) : await organisations.removeMember(trx, o.id, user.id);
    if (done)
      await audit(trx, change === 'add' ? 'admin.organisation_member_added' : 'admin.organisation_member_removed', {
        userId: user.id,
        details: { organisation: o.id, via: 'cli' },
      });
    return done;
  });
  io.out(`${user.username} ${changed ? (change === 'add' ? 'added to' : 'removed from') : change === 'add' ? 'was already in' : 'was not in'} ${o.name}\n`);
}
