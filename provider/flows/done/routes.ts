// The page a finished step of a mailed link leads to (a new password, an activated account). The POST that finished
// it answers with a redirect here (303), so that a reload or Back shows this page again rather than "this link was
// already used". What it says is stored as a flow bound to the browser that finished the step: its address shows
// nothing to any other browser.
import type { Context } from 'koa';
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Services } from '../../app/services.ts';
import { browserBinding } from '../../domain/flow-state/binding.ts';
import { renderMessage } from '../../platform/web/page.ts';
import type { MessageKey } from '../../platform/web/message-key.ts';

const FLOW = 'done';
/** Long enough to come back to the tab after a coffee; the page only repeats what the person just did. */
const TTL_SECONDS = 3600;

export interface DonePage {
  titleKey: MessageKey;
  messageKey: MessageKey;
  messageParams?: Record<string, string>;
  actions: { href: string; key: MessageKey; params?: Record<string, string> }[];
}

/** Stores the page for this browser and sends it there. */
export async function redirectToDone({ db, flows }: Pick<Services, 'db' | 'flows'>, ctx: Context, page: DonePage): Promise<void> {
  const flow = await flows.create(db, { type: FLOW, state: 'done', binding: browserBinding(ctx), data: { ...page }, ttlSeconds: TTL_SECONDS });
  ctx.status = 303;
  ctx.redirect(`/done/${flow.id}`);
}

export function doneRoutes({ db, flows }: Pick<Services, 'db' | 'flows'>): Router {
  const router = createRouter();
  router.get('/done/:flow', async (ctx) => {
    const { data } = await flows.get<DonePage>(db, ctx.params.flow ?? '', FLOW, browserBinding(ctx));
    renderMessage(ctx, 200, data.titleKey, data.messageKey, { messageParams: data.messageParams, actions: data.actions });
  });
  return router;
}
