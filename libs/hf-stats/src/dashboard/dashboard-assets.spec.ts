import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardAssets, dashboardPage, fillTemplate } from './dashboard-assets.js';
import type { DashboardPageConfig } from './dashboard.interfaces.js';

/** Any code point, lone surrogates included, but markup's own characters often. */
const MARKUP_OR_ANY = fc.oneof(
  fc.constantFrom('&', '<', '>', '"', "'", '{', '}', '&amp;'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

const CONFIG: DashboardPageConfig = { timelineMinutes: 15, pageSize: 50, maxPageSize: 1000 };

/** What an HTML parser reads back from a double-quoted attribute value. */
function unescapeAttribute(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function onDisk(name: string): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
}

describe('dashboard assets', () => {
  it('are read from src/dashboard/assets beside this module, as they are on disk', () => {
    const assets = dashboardAssets();
    expect(assets.page).toBe(onDisk('index.html'));
    expect(assets.script).toBe(onDisk('app.js'));
    expect(assets.style).toBe(onDisk('app.css'));
    // Once per process: the same object for every controller.
    expect(dashboardAssets()).toBe(assets);
  });

  it('the page carries every limit the script reads, as a data- attribute of <body>, and nothing unfilled', () => {
    const page = dashboardPage(dashboardAssets().page, CONFIG, 'dashboard/');
    const body = /<body([^>]*)>/.exec(page)?.[1] ?? '';
    for (const [key, value] of Object.entries(CONFIG)) {
      const attribute = `data-${key.replaceAll(/[A-Z]/g, (upper) => `-${upper.toLowerCase()}`)}`;
      expect(body).toContain(`${attribute}="${value}"`);
    }
    expect(page).not.toContain('{{');
    expect(page).toContain('<script src="dashboard/app.js" defer></script>');
    expect(dashboardPage(dashboardAssets().page, CONFIG, '')).toContain('<link rel="stylesheet" href="app.css" />');
  });

  it('fills in any value HTML-escaped: it never leaves its attribute, and reads back as it was', () => {
    fc.assert(
      fc.property(fc.string({ unit: MARKUP_OR_ANY, maxLength: 200 }), (value) => {
        const filled = fillTemplate('<b data-x="{{x}}">{{y}}</b>', { x: value, y: value });
        const match = /^<b data-x="([^"<>]*)">([^<>]*)<\/b>$/.exec(filled);
        expect(match).not.toBeNull();
        expect(unescapeAttribute(match![1])).toBe(value);
        expect(unescapeAttribute(match![2])).toBe(value);
      }),
    );
  });

  it('refuses a name without a value and a value the page never names: a broken package fails at startup', () => {
    expect(() => fillTemplate('<p>{{missing}}</p>', {})).toThrow(/names \{\{missing\}\}/);
    expect(() => fillTemplate('<p>{{a}}</p>', { a: 1, pageSize: 2 })).toThrow(/lacks \{\{pageSize\}\}/);
    // Names the page does not use as placeholders are not mistaken for some: `constructor`, `__proto__`.
    expect(() => fillTemplate('{{constructor}}', {})).toThrow(/names \{\{constructor\}\}/);
    expect(fillTemplate('{{__proto__}}', {})).toBe('{{__proto__}}');
  });
});
