// Every router of our pages and APIs, made here so that each one matches paths in one way. @koa/router (15.7)
// matches a route's path whatever its letter case, but a router's `use` under a fixed prefix only in the prefix's own
// case: /ADMIN/audit ran the audit page without the staff check that /admin/audit runs first. Case-sensitive
// routers answer any other spelling with "page not found", so whatever a route is guarded by runs whenever it does.
import Router, { type RouterOptions } from '@koa/router';

export function createRouter(options: Pick<RouterOptions, 'prefix'> = {}): Router {
  return new Router({ ...options, sensitive: true });
}
