// The provider's own stylesheet, scripts and images under /static/, with long-lived caching, and /favicon.ico.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Next } from 'koa';
import { currentTheme, faviconOf, profileStatic, staticRoots, themeCss, themeOf } from './theme.ts';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function serve(ctx: Context, body: string | Buffer, type: string): void {
  ctx.body = body;
  ctx.type = type;
  ctx.set('Cache-Control', 'public, max-age=3600');
}

export function staticFiles() {
  return async (ctx: Context, next: Next) => {
    // Browsers ask for /favicon.ico by themselves (before a page names its icon, and for pages that name none).
    if (ctx.path === '/favicon.ico' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      // Each portal's theme may have its own icon: the browser asks again rather than keep another portal's.
      ctx.set('Cache-Control', 'no-cache');
      return ctx.redirect(faviconOf(currentTheme()));
    }
    if (!ctx.path.startsWith('/static/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const name = ctx.path.slice('/static/'.length);
    const type = TYPES[path.extname(name)];
    if (!type || !/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.includes('..')) return next();
    // A portal profile's own theme: its colours and its static/ files only.
    // The URLs are shared by every portal (and cached), so /static/ itself is always the deployment's.
    const portal = profileStatic(name);
    const theme = portal?.theme ?? themeOf(null);
    const file = portal?.file ?? name;
    if (theme && file === 'theme.css') return serve(ctx, themeCss(theme), type);
    // A theme's file hides the shipped one of the same name.
    for (const root of portal ? [path.join(portal.theme.dir, 'static')] : staticRoots()) {
      const body = await readFile(path.join(root, file)).catch(() => undefined);
      if (body) return serve(ctx, body, type);
    }
    return next();
  };
}
