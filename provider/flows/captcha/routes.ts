// The widget's files, served from its npm package at runtime (nothing is copied or fetched from a CDN), and the
// challenge endpoint it calls. Only the files named here are served: the package's other files are not reachable.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import { createRouter } from '../../platform/web/router.ts';
import type { Context, Next } from 'koa';
import type { Captcha } from '../../domain/guards/captcha.ts';

const JS = 'text/javascript; charset=utf-8';
const widgetDir = fileURLToPath(new URL('.', import.meta.resolve('altcha/external')));

// The "external" build injects no styles and bundles no workers, so it runs under script-src/style-src 'self'.
const ASSETS: Record<string, { file: string; type: string }> = {
  'altcha.js': { file: `${widgetDir}altcha.min.js`, type: JS },
  'altcha.css': { file: fileURLToPath(import.meta.resolve('altcha/altcha.css')), type: 'text/css; charset=utf-8' },
  'pbkdf2-worker.js': { file: fileURLToPath(import.meta.resolve('altcha/workers/pbkdf2')), type: JS },
  'i18n-nl.js': { file: fileURLToPath(import.meta.resolve('altcha/i18n/nl')), type: JS },
  'i18n-fr.js': { file: fileURLToPath(import.meta.resolve('altcha/i18n/fr-fr')), type: JS },
  'i18n-de.js': { file: fileURLToPath(import.meta.resolve('altcha/i18n/de')), type: JS },
};

const PREFIX = '/static/altcha/';

export function captchaAssets() {
  return async (ctx: Context, next: Next) => {
    const name = ctx.path.startsWith(PREFIX) && (ctx.method === 'GET' || ctx.method === 'HEAD') ? ctx.path.slice(PREFIX.length) : '';
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return next();
    ctx.body = await readFile(asset.file);
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
  };
}

export function captchaRoutes(captcha: Captcha): Router {
  const router = createRouter();
  router.get('/captcha/challenge', async (ctx) => {
    if (!captcha.enabled) return;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await captcha.challenge();
  });
  return router;
}
