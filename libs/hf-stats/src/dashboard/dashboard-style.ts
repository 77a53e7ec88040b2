/** The dashboard's stylesheet, served as `<path>/dashboard/app.css`. Light and dark, no web fonts. */
export const DASHBOARD_CSS: string = `:root {
  --bg: #f6f7f9;
  --panel: #ffffff;
  --text: #1c2330;
  --muted: #667085;
  --line: #e4e7ec;
  --accent: #3b6fd8;
  --accent-soft: rgba(59, 111, 216, 0.14);
  --error: #d9453b;
  --cost: #1f9d6b;
  --p95: #8a5cd1;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.06);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #10141b;
    --panel: #171d27;
    --text: #e6e9ef;
    --muted: #98a2b3;
    --line: #2a3341;
    --accent: #6f9cf0;
    --accent-soft: rgba(111, 156, 240, 0.18);
    --error: #f07167;
    --cost: #4cc795;
    --p95: #b195ec;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Ubuntu, sans-serif;
}
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 10px; }
.top {
  display: flex; justify-content: space-between; align-items: center; gap: 16px;
  padding: 16px 24px; background: var(--panel); border-bottom: 1px solid var(--line);
}
.sub, .muted { color: var(--muted); }
.sub { margin: 2px 0 0; font-size: 12px; }
.status { margin: 0; font-size: 12px; color: var(--muted); }
.status.error { color: var(--error); font-weight: 600; }
main { padding: 20px 24px 40px; max-width: 1400px; margin: 0 auto; }
.empty {
  background: var(--accent-soft); border: 1px solid var(--accent); border-radius: 8px;
  padding: 12px 16px; margin: 0 0 16px;
}
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card, .panel, .chart {
  background: var(--panel); border: 1px solid var(--line); border-radius: 10px; box-shadow: var(--shadow);
}
.card { padding: 12px 14px; display: flex; flex-direction: column; gap: 4px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; margin-bottom: 16px; }
.chart { margin: 0; padding: 12px 14px 8px; }
.chart figcaption { font-weight: 600; margin-bottom: 6px; }
.plot svg { display: block; width: 100%; height: auto; }
.plot .axis { stroke: var(--line); stroke-width: 1; }
.plot .tick { fill: var(--muted); font-size: 11px; }
.plot .nodata { fill: var(--muted); font-size: 13px; }
.plot .bar-calls { fill: var(--accent); }
.plot .bar-errors { fill: var(--error); }
.plot .bar-cost { fill: var(--cost); }
.plot .line-p95 { fill: none; stroke: var(--p95); stroke-width: 2; stroke-linejoin: round; }
.plot .dot-p95 { fill: var(--p95); }
.legend { display: flex; gap: 12px; font-size: 11px; color: var(--muted); margin-top: 2px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.legend .calls { background: var(--accent); }
.legend .errors { background: var(--error); }
.panel { padding: 14px 16px; margin-bottom: 16px; }
.panel-head { display: flex; justify-content: space-between; align-items: center; gap: 12px; margin-bottom: 8px; }
.panel-head h2 { margin: 0; }
.split { display: grid; grid-template-columns: 2fr 1fr; gap: 12px; }
.split .panel { margin-bottom: 0; }
@media (max-width: 900px) { .split { grid-template-columns: 1fr; } }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; word-break: break-all; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
th button {
  font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;
}
th button:hover, th button[aria-sort] { color: var(--text); }
th button[aria-sort='ascending']::after { content: ' ▲'; }
th button[aria-sort='descending']::after { content: ' ▼'; }
#sessions tbody tr { cursor: pointer; }
#sessions tbody tr:hover { background: var(--accent-soft); }
#sessions tbody tr.selected { background: var(--accent-soft); box-shadow: inset 3px 0 0 var(--accent); }
.badge { display: inline-block; font-size: 11px; border-radius: 999px; padding: 0 7px; margin-left: 6px; border: 1px solid var(--line); color: var(--muted); }
.badge.active { border-color: var(--cost); color: var(--cost); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
input[type='search'], select, .pager button {
  font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 10px;
}
input[type='search'] { width: 260px; max-width: 60vw; }
.tools { display: flex; gap: 8px; align-items: center; }
.pager { display: flex; align-items: center; gap: 10px; margin-top: 8px; font-size: 12px; }
.pager button { cursor: pointer; padding: 4px 10px; }
.pager button:disabled { cursor: default; opacity: 0.45; }
.link { font: inherit; background: none; border: 0; color: var(--accent); cursor: pointer; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px 16px; margin: 0 0 12px; }
.figures div { display: flex; flex-direction: column; }
.figures dt { color: var(--muted); font-size: 12px; }
.figures dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.error-text { color: var(--error); }
`;
