import { readFileSync } from 'node:fs';
import type { DashboardPageConfig } from './dashboard.interfaces.js';

/** The dashboard's files as they are on disk, beside this module in `assets/` (in `src/` and in `dist/`). */
export interface DashboardAssets {
  /** `index.html`, with `{{name}}` where the server fills in a value. */
  page: string;
  /** `app.js`: a classic script, served as it is. */
  script: string;
  /** `app.css`, served as it is. */
  style: string;
}

let loaded: DashboardAssets | undefined;

/**
 * Reads the dashboard's files once per process, at the first controller's construction (startup), and
 * keeps them: no request touches the disk. The build copies `src/dashboard/assets/` to
 * `dist/dashboard/assets/` (nest-cli.json), so this module finds them beside itself in both.
 */
export function dashboardAssets(): DashboardAssets {
  loaded ??= {
    page: readAsset('index.html'),
    script: readAsset('app.js'),
    style: readAsset('app.css'),
  };
  return loaded;
}

function readAsset(name: 'index.html' | 'app.js' | 'app.css'): string {
  // A missing file throws ENOENT naming its path: a broken package fails at startup, not on a request.
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
}

/**
 * The page for a base of its files (`dashboard/` at `<path>/dashboard`, the empty string at
 * `<path>/dashboard/`) and the server's limits, each filled in HTML-escaped where the template names it.
 */
export function dashboardPage(template: string, config: DashboardPageConfig, assetBase: 'dashboard/' | ''): string {
  return fillTemplate(template, { assetBase, ...config });
}

/**
 * Replaces each `{{name}}` of `template` with `values[name]`, HTML-escaped (so safe in text and in a quoted
 * attribute). Throws on a name without a value and on a value the template never names: either is a bug
 * of the package, found at startup.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  const unused = new Set(Object.keys(values));
  const filled = template.replace(/\{\{([A-Za-z]+)\}\}/g, (_, name: string) => {
    if (!Object.hasOwn(values, name)) {
      throw new Error(`the dashboard page names {{${name}}}, which the server does not fill in`);
    }
    unused.delete(name);
    return escapeHtml(String(values[name]));
  });
  if (unused.size > 0) {
    throw new Error(`the dashboard page lacks {{${[...unused].join('}}, {{')}}}`);
  }
  return filled;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}
