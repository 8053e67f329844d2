// A page router's middleware without a path, nested in the pages' router, ran before every page route mounted after
// it: the sign-up's reload address reached the staff pages' answers. Such a router is refused at start.
import { describe, expect, it } from 'vitest';
import { createRouter, nestable } from '../../../provider/platform/web/router.ts';

describe('a page router to nest', () => {
  const pass = async (_ctx: unknown, next: () => Promise<unknown>) => next();

  it('is refused when one of its middlewares has no path', () => {
    const router = createRouter();
    router.use(pass);
    router.get('/registration', () => {});
    expect(() => nestable(router)).toThrow(/uses a middleware on every path; give it its flow's path \(routes: .*\/registration/);
  });

  it('is taken with its middlewares under a path or its prefix, and routers nested in it', () => {
    const scoped = createRouter();
    scoped.use('/registration', pass);
    scoped.get('/registration', () => {});
    const prefixed = createRouter({ prefix: '/admin' });
    prefixed.use(pass);
    prefixed.get('/users', () => {});
    const parent = createRouter();
    parent.use(prefixed.routes());
    for (const router of [scoped, prefixed, parent]) expect(nestable(router)).toBe(router);
  });
});
