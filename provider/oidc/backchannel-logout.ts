// OpenID Connect Back-Channel Logout 1.0: every way a session ends queues a logout token for each app of the
// session that registered a backchannel_logout_uri (domain/oidc-models/adapter.ts for the sessions we end
// ourselves), and the outbox worker signs and sends it through this transport, retrying while the app is down.
// oidc-provider's own logout (/session/end) would send synchronously, once, with no retry: its sending is routed
// into the outbox instead, so that every logout token leaves by one path and none is sent twice. Where it may go is
// ./logout-delivery.ts.
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Db } from '../platform/db/knex.ts';
import type { UserRepository } from '../domain/accounts/repository.ts';
import { audit } from '../platform/audit.ts';
import { log } from '../platform/log.ts';
import { enqueueLogout, forgetLogoutSubject, logoutOf } from '../domain/messaging/outbox.ts';
import { DeliveryError, type DeliveryOutcome, type Transport } from '../domain/messaging/transport.ts';
import { asLogoutDelivery, privateAddressRefusal } from './logout-delivery.ts';

type Client = InstanceType<Provider['Client']>;
type SendLogoutToken = (this: Client, sub: string, sid: string) => Promise<void>;

/** oidc-provider's own sending (Client#backchannelLogout: the token signed with the provider's keys, then POSTed), per instance. */
const senders = new WeakMap<Provider, SendLogoutToken>();

/** Makes oidc-provider's logout queue its logout tokens in the outbox rather than send them. */
export function queueProviderLogouts(provider: Provider, db: Db): void {
  const prototype = provider.Client.prototype as unknown as { backchannelLogout: SendLogoutToken };
  senders.set(provider, prototype.backchannelLogout);
  prototype.backchannelLogout = async function (this: Client, sub: string, sid: string) {
    await enqueueLogout(db, { clientId: this.clientId, sub, sid });
  };
  // oidc-provider ends the session whatever became of its logout tokens, and only emits the failure.
  provider.on('backchannel.error', (_ctx: unknown, err: Error, client: Client) =>
    log.error('logout token not queued', { client: client.clientId, error: err.message }),
  );
}

const EVENTS: Record<DeliveryOutcome, string> = {
  sent: 'backchannel_logout.delivered',
  retry: 'backchannel_logout.failed',
  failed: 'backchannel_logout.gave_up',
};

/** The outbox transport of the 'logout' channel; `provider` is read at each delivery, since a key refresh replaces it. */
export function createLogoutTransport(provider: () => Provider, db: Db, users: UserRepository): Transport {
  return {
    name: 'backchannel-logout',
    async send(m) {
      const { clientId, sub, sid } = logoutOf(m);
      const p = provider();
      const client = await p.Client.find(clientId).catch((e: unknown) => {
        // Registered under rules since tightened (an operator no longer allowing the app's network): the app cannot
        // be loaded, and trying again would not change that.
        if (e instanceof errors.InvalidClientMetadata) throw new DeliveryError(`${clientId}: ${e.error_description}`, true);
        throw e;
      });
      if (!client?.backchannelLogoutUri) throw new DeliveryError(`${clientId} no longer has a backchannel_logout_uri`, true);
      try {
        await asLogoutDelivery(() => senders.get(p)!.call(client, sub, sid));
      } catch (e) {
        // An address the operator did not allow stays refused: trying again would not change that.
        const refusal = privateAddressRefusal(e);
        throw refusal ? new DeliveryError(refusal.message, true) : e;
      }
    },
    async settled(m, outcome, error) {
      // Under the account while it exists, so staff see it in the person's trail; an erased account names nobody.
      const user = await users.findBySub(db, logoutOf(m).sub);
      if (!user && outcome !== 'retry') await forgetLogoutSubject(db, m.id);
      await audit(db, EVENTS[outcome], {
        userId: user?.id,
        details: { client: m.recipient, sid: m.reference, attempt: m.attempts, ...(error ? { error } : {}) },
      });
    },
  };
}
