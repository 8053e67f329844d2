// The provider's own stylesheet, scripts and images under /static/, with long-lived caching.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Context, Next } from 'koa';

const ROOT = fileURLToPath(new URL('../../../views/static/', import.meta.url));
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function staticFiles() {
  return async (ctx: Context, next: Next) => {
    if (!ctx.path.startsWith('/static/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const name = ctx.path.slice('/static/'.length);
    const type = TYPES[path.extname(name)];
    if (!type || !/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.includes('..')) return next();
    try {
      ctx.body = await readFile(path.join(ROOT, name));
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
    } catch {
      return next();
    }
  };
}
