// Staff learn of requests waiting for review without watching /admin: every REVIEW_NOTICE_SECONDS, the requests
// newly waiting (invitation sign-ups with corrected names, name corrections) are marked as told and each admin and
// each member of a reviewer organisation gets one mail naming how many, in their own language. A request is told
// once; processes running this together tell it once, as the marking is the transaction's first write.
import type { Services } from '../../app/services.ts';
import { invitations } from '../../domain/invitations/repository.ts';
import { nameCorrections } from '../../domain/accounts/name-corrections.ts';
import { reviewerMemberIds } from '../../domain/accounts/organisations.ts';
import { localeOf } from '../../domain/accounts/repository.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';

/** Returns how many requests it told of. */
export async function noticeReviewers({ config, db, users }: Pick<Services, 'config' | 'db' | 'users'>): Promise<number> {
  return db.transaction(async (trx) => {
    const fresh = (await invitations.takeUnnoticed(trx)) + (await nameCorrections.takeUnnoticed(trx));
    if (fresh === 0) return 0;
    const waiting = (await invitations.pendingReview(trx)).length + (await nameCorrections.waiting(trx));
    const admins = await users.withRole(trx, 'admin');
    const members = (await users.findByIds(trx, await reviewerMemberIds(trx))).filter((u) => u.status === 'active');
    const staff = new Map([...admins, ...members].map((u) => [u.id, u]));
    for (const person of staff.values()) {
      await enqueueNotice(trx, person, localeOf(person, config.defaultLocale), {
        title: { key: 'admin.review_notice.title' },
        paragraphs: [{ key: 'admin.review_notice.body', params: { fresh, waiting } }],
        action: { href: `${config.issuerUrl}/admin`, label: { key: 'admin.review_notice.action' } },
      });
    }
    return fresh;
  });
}
