// Messages a recipient receives because someone asked (sign-up, recovery, an address change, a code texted to a
// typed number): counted per recipient (a mail address, or a mobile number in E.164) and requester (an IP address, a
// /64 for IPv6, the owner's known device, or the account that asks), so that another party cannot use up the owner's
// allowance, under a higher ceiling per recipient whoever asks. The owner's device is held back by its own count
// only, not by the ceiling: the owner's request gets its message even while others flood the recipient. So is an
// account's first message to a recipient in the window: each account costs a verified sign-up, so the ceiling still
// holds back repeated sending, and a few accounts cannot keep a person from moving her account to her own new address
// or number. So, last, is a requester who proved she holds the address (a sign-up after one of the links mailed to
// it): the ceiling keeps others' floods from reaching her mailbox, not her own sign-up from being mailed. Where a
// mail's newest link serves the owner whoever asked (recovery), one mail now and then still goes out past the ceiling.
import type { Db } from '../../platform/db/knex.ts';
import { consumeWithin, createLimiter } from './rate-limit.ts';
import { clientAddressKey, keyOf } from './throttle.ts';

export interface RecipientQuotaOptions {
  /**
   * Names the messages in the stored keys: 'recovery_mail', 'sms_code'. The mails' names end in _mail so that their
   * keys stay those counted before codes by SMS shared this quota.
   */
  name: string;
  perRequester: { points: number; seconds: number };
  perAddress: { points: number; seconds: number };
  /**
   * Past the ceiling, one mail per this many seconds still goes out to the address, whoever asked: for mails whose
   * newest link is one the owner can use whoever asked for it (a reset link), so that requesters on many addresses
   * cannot leave her mailbox without a live one. Shorter than the link's lifetime.
   */
  pastCeilingSeconds?: number;
}

export interface QuotaRequest {
  /** A mail address, or a mobile number in E.164. */
  address: string;
  ip: string | undefined;
  /** The requester's device id when the browser has logged in to an account of this address. */
  ownerDevice?: string | undefined;
  /** The account that asks, when one is logged in (an address change): counted instead of its IP address. */
  account?: string | undefined;
  /**
   * The requester proved she holds the address (she followed a link mailed to it): still counted per requester, but
   * not held back by the ceiling.
   */
  provenAddress?: boolean | undefined;
}

export interface RecipientQuota {
  /** Counts the request; true when the message may go out. */
  allow(r: QuotaRequest): Promise<boolean>;
}

export function createRecipientQuota(db: Db, o: RecipientQuotaOptions): RecipientQuota {
  const requesters = createLimiter(db, { keyPrefix: `${o.name}_requester`, points: o.perRequester.points, durationSeconds: o.perRequester.seconds });
  const addresses = createLimiter(db, { keyPrefix: `${o.name}_address`, points: o.perAddress.points, durationSeconds: o.perAddress.seconds });
  const pastCeiling = o.pastCeilingSeconds ? createLimiter(db, { keyPrefix: `${o.name}_past`, points: 1, durationSeconds: o.pastCeilingSeconds }) : undefined;
  return {
    async allow({ address, ip, ownerDevice, account, provenAddress }) {
      const requester = ownerDevice ? `device:${ownerDevice}` : account ? `account:${account}` : `ip:${ip ? clientAddressKey(ip) : ''}`;
      const key = keyOf(address);
      const counted = await consumeWithin(requesters, `${key}:${keyOf(requester)}`);
      if (!counted) return false;
      // Only requests within their requester's allowance count towards the ceiling: one party's flood beyond its
      // own allowance does not use it up.
      const underCeiling = (await consumeWithin(addresses, key)) !== undefined;
      if (underCeiling || ownerDevice !== undefined || provenAddress === true || (account !== undefined && counted.consumedPoints === 1)) return true;
      return pastCeiling !== undefined && (await consumeWithin(pastCeiling, key)) !== undefined;
    },
  };
}
