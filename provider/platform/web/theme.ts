// A deployment's look (THEME_DIR): a folder whose files override the shipped ones, and a theme.json naming the
// organisation, its logo, favicon, colours, footer links and the lines that open and close its mails.
//   theme.json   the settings below
//   templates/   overrides views/ file by file (same relative path: templates/pages/home.njk replaces views/pages/home.njk)
//   static/      overrides and adds to views/static/, served under /static/ (the logo and favicon live here)
// Colours are checked at start against WCAG 2.2 AA (4.5:1 for text), so a theme cannot make a page unreadable.
// A portal profile may name a theme of its own (PORTAL_PROFILES): the pages and mails of a request from its people
// use it (runWithTheme), its static/ served under /static/portal/<profile>/. Presentation only, never what is allowed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { z } from 'zod';

const VIEWS_DIR = fileURLToPath(new URL('../../../views/', import.meta.url));
const STATIC_DIR = path.join(VIEWS_DIR, 'static');

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is written #rrggbb');
const staticFile = z.string().regex(/^[\w-]+(\/[\w-]+)*\.(svg|png|ico)$/, 'a file under static/ such as logo.svg (svg, png or ico)');
const line = z.string().trim().min(1).max(200);

const themeFile = z.strictObject({
  organisation: z.string().trim().min(1).max(80),
  logo: staticFile.optional(),
  favicon: staticFile.optional(),
  colours: z.strictObject({ text: colour, background: colour, accent: colour, accentText: colour, error: colour, muted: colour }).partial().default({}),
  footer: z.strictObject({ privacy: z.url().optional(), terms: z.url().optional() }).default({}),
  mail: z.strictObject({ header: line.optional(), footer: line.optional() }).default({}),
});

/** The shipped, neutral look: what a theme's missing colours keep. */
export const DEFAULT_COLOURS = { text: '#1b1b1b', background: '#ffffff', accent: '#0b4f9c', accentText: '#ffffff', error: '#a4000f', muted: '#4a4a4a' };
type Colours = typeof DEFAULT_COLOURS;

/** `static`: the URL its logo, favicon and theme.css are served under. */
export type Theme = Omit<z.output<typeof themeFile>, 'colours'> & { colours: Colours; dir: string; static: string };

/** The icon pages link to and /favicon.ico leads to: the theme's, or the shipped one. */
export const faviconOf = (theme: Theme | undefined): string => (theme?.favicon ? `${theme.static}${theme.favicon}` : '/static/favicon.svg');

export class ThemeError extends Error {
  readonly code: 'theme_invalid' | 'theme_contrast';
  constructor(code: ThemeError['code'], message: string) {
    super(message);
    this.name = 'ThemeError';
    this.code = code;
  }
}

/** The pairs a person reads, foreground on background: body text, hints, links, errors, the primary button. */
const READ_PAIRS: [keyof Colours, keyof Colours][] = [
  ['text', 'background'],
  ['muted', 'background'],
  ['accent', 'background'],
  ['error', 'background'],
  ['accentText', 'accent'],
];
const AA_TEXT = 4.5;

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2.x contrast ratio, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/**
 * Reads and checks `<dir>/theme.json`; throws ThemeError naming the setting, the file and the problem. `profile`: the
 * portal profile naming it, whose files are served apart from the deployment's.
 */
export function loadTheme(dir: string, profile?: string): Theme {
  const setting = profile ? `PORTAL_PROFILES.${profile}.theme` : 'THEME_DIR';
  const file = path.join(dir, 'theme.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ThemeError('theme_invalid', `${setting}: cannot read ${file}: ${(e as Error).message}`);
  }
  const parsed = themeFile.safeParse(raw);
  if (!parsed.success)
    throw new ThemeError('theme_invalid', `${setting}: ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'theme'}: ${i.message}`).join('; ')}`);
  const colours = { ...DEFAULT_COLOURS, ...parsed.data.colours };
  const weak = READ_PAIRS.map(([fg, bg]) => ({ fg, bg, ratio: contrastRatio(colours[fg], colours[bg]) })).filter((p) => p.ratio < AA_TEXT);
  if (weak.length) {
    const pairs = weak.map(
      (p) => `colours.${p.fg} ${colours[p.fg]} on colours.${p.bg} ${colours[p.bg]} has a contrast ratio of ${(Math.floor(p.ratio * 100) / 100).toFixed(2)}:1`,
    );
    throw new ThemeError('theme_contrast', `${setting}: ${file}: ${pairs.join('; ')}; WCAG 2.2 AA needs at least ${AA_TEXT}:1 for text`);
  }
  for (const f of [parsed.data.logo, parsed.data.favicon]) {
    if (f && !existsSync(path.join(dir, 'static', f))) throw new ThemeError('theme_invalid', `${setting}: ${file}: static/${f} does not exist`);
  }
  return { ...parsed.data, colours, dir, static: profile ? `/static/portal/${profile}/` : '/static/' };
}

let deployment: Theme | undefined;
let profiles = new Map<string, Theme>();
const environments = new Map<string, nunjucks.Environment>();
const requestTheme = new AsyncLocalStorage<Theme | undefined>();

/** The theme of the request being handled (its portal profile's, else the deployment's). */
export const currentTheme = (): Theme | undefined => requestTheme.getStore() ?? deployment;

/** The deployment's theme and those portal profiles name (profile → theme). */
export function setTheme(theme: Theme | undefined, byProfile: Record<string, Theme> = {}): void {
  deployment = theme;
  profiles = new Map(Object.entries(byProfile));
  // Templates compiled under another theme must not be served under this one.
  environments.clear();
}

/** The theme of a portal profile, or the deployment's when it names none. */
export const themeOf = (profile: string | null | undefined): Theme | undefined => (profile ? profiles.get(profile) : undefined) ?? deployment;

/** Runs `fn` (a request's handling) with the pages and mails it renders under `theme`. */
export const runWithTheme = <T>(theme: Theme | undefined, fn: () => T): T => requestTheme.run(theme, fn);

/** The folders /static/ serves from, the theme's first. */
export const staticRoots = (): string[] => (deployment ? [path.join(deployment.dir, 'static'), STATIC_DIR] : [STATIC_DIR]);

/** A profile's theme and the file asked for under /static/portal/<profile>/<file>. */
export function profileStatic(name: string): { theme: Theme; file: string } | undefined {
  const match = /^portal\/([a-z0-9-]{1,40})\/(.+)$/.exec(name);
  const theme = match ? profiles.get(match[1]!) : undefined;
  return theme && { theme, file: match![2]! };
}

/** What is rendered: a page, or a mail's HTML or text part (domain/messaging/mail-templates.ts). */
const RENDERINGS = {
  page: { autoescape: true, throwOnUndefined: false },
  mailHtml: { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  mailText: { autoescape: false, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
} satisfies Record<string, nunjucks.ConfigureOptions>;
export type Rendering = keyof typeof RENDERINGS;

/** The nunjucks environment rendering under `theme`, one per theme and kind of rendering. */
export function themedEnvironment(theme: Theme | undefined, rendering: Rendering): nunjucks.Environment {
  const key = `${theme?.dir ?? ''}\0${rendering}`;
  let env = environments.get(key);
  if (!env) environments.set(key, (env = new nunjucks.Environment(new ThemeLoader(theme), RENDERINGS[rendering])));
  return env;
}

/** The CSS custom properties of the theme's colours (served as /static/theme.css). */
export const themeCss = (t: Theme): string =>
  `:root { --fg: ${t.colours.text}; --bg: ${t.colours.background}; --accent: ${t.colours.accent}; --accent-fg: ${t.colours.accentText}; --error: ${t.colours.error}; --muted: ${t.colours.muted}; }\n`;

/** A nunjucks loader over views/, under the theme's templates/ when a theme is set. */
class ThemeLoader extends nunjucks.Loader implements nunjucks.ILoader {
  private readonly theme: Theme | undefined;
  constructor(theme: Theme | undefined) {
    super();
    this.theme = theme;
  }

  getSource(name: string): nunjucks.LoaderSource {
    const roots = this.theme ? [path.join(this.theme.dir, 'templates'), VIEWS_DIR] : [VIEWS_DIR];
    for (const root of roots) {
      const full = path.resolve(root, name);
      if (!full.startsWith(path.join(root, path.sep)) || !existsSync(full)) continue;
      return { src: readFileSync(full, 'utf8'), path: full, noCache: false };
    }
    throw new Error(`template not found: ${name}`);
  }
}
