// Every router of our pages and APIs, made here so that each one matches paths in one way. @koa/router (15.7)
// matches a route's path whatever its letter case, but a router's `use` under a fixed prefix only in the prefix's own
// case: /ADMIN/audit ran the audit page without the staff check that /admin/audit runs first. Case-sensitive
// routers answer any other spelling with "page not found", so whatever a route is guarded by runs whenever it does.
import Router, { type RouterOptions } from '@koa/router';

export function createRouter(options: Pick<RouterOptions, 'prefix'> = {}): Router {
  return new Router({ ...options, sensitive: true });
}

/**
 * A page router, to be nested in the pages' one. Nested, a middleware its `use` gave no path is copied into the
 * parent and runs before every page route mounted after it, other flows' included (the sign-up's reload address
 * was given to the staff pages' answers): refused at start, with the router's routes to find it by.
 */
export function nestable(router: Router): Router {
  if (router.stack.some((layer) => !layer.methods.length && !String(layer.path).startsWith('/')))
    throw new Error(`A page router uses a middleware on every path; give it its flow's path (routes: ${router.stack.map((l) => l.path).join(', ')})`);
  return router;
}
