/** What the page's script must know of the server: embedded in the page, so no request is needed for it. */
export interface DashboardPageConfig {
  /** Minutes the charts show: at most the `timelineMinutes` option (60 when it allows). */
  timelineMinutes: number;
  /** Sessions per page of the sessions table. */
  pageSize: number;
  /** Most sessions the server answers in one page. */
  maxPageSize: number;
}

/**
 * The dashboard's HTML. Everything it loads comes from the module's own routes (`app.css` and `app.js`
 * under `<path>/dashboard/`), so it works offline and under {@link DASHBOARD_CSP}. No inline script,
 * style or event handler. `assetBase` is where those files are relative to the page's URL: `dashboard/`
 * at `<path>/dashboard`, the empty string at `<path>/dashboard/`.
 */
export function dashboardHtml(config: DashboardPageConfig, assetBase: 'dashboard/' | ''): string {
  // Numbers only, from the options: nothing here needs escaping.
  const data = [
    `data-timeline-minutes="${Math.floor(config.timelineMinutes)}"`,
    `data-page-size="${Math.floor(config.pageSize)}"`,
    `data-max-page-size="${Math.floor(config.maxPageSize)}"`,
  ].join(' ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>Hugging Face calls · nestjs-hf-stats</title>
    <!-- No favicon request: the browser would ask the app for /favicon.ico. -->
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${assetBase}app.css" />
    <script src="${assetBase}app.js" defer></script>
  </head>
  <body ${data}>
    <header class="top">
      <div>
        <h1>Hugging Face calls</h1>
        <p class="sub">nestjs-hf-stats · since start or the last reset</p>
      </div>
      <p id="status" class="status" role="status">Loading…</p>
    </header>
    <main>
      <p id="empty" class="empty" hidden>
        No Hugging Face calls recorded yet. The figures and charts appear here as soon as the app makes its first tracked call.
      </p>
      <section class="cards" aria-label="Headline figures">
        <div class="card"><span class="label">Calls</span><span class="value" data-figure="calls">–</span></div>
        <div class="card"><span class="label">Texts</span><span class="value" data-figure="texts">–</span></div>
        <div class="card"><span class="label">Tokens</span><span class="value" data-figure="tokens">–</span></div>
        <div class="card"><span class="label">Errors</span><span class="value" data-figure="errors">–</span></div>
        <div class="card"><span class="label">Estimated cost</span><span class="value" data-figure="cost">–</span></div>
        <div class="card"><span class="label">p95 latency</span><span class="value" data-figure="p95">–</span></div>
      </section>
      <section class="charts" aria-label="Timeline">
        <figure class="chart"><figcaption>Calls and errors per minute</figcaption><div id="chart-calls" class="plot"></div></figure>
        <figure class="chart"><figcaption>p95 latency per minute</figcaption><div id="chart-p95" class="plot"></div></figure>
        <figure class="chart"><figcaption>Estimated cost per minute</figcaption><div id="chart-cost" class="plot"></div></figure>
      </section>
      <section class="panel" aria-label="Sessions">
        <div class="panel-head">
          <h2>Sessions <span id="session-count" class="muted"></span></h2>
          <div class="tools">
            <select id="state" aria-label="Session state">
              <option value="all">All</option>
              <option value="active">Active</option>
              <option value="ended">Ended</option>
            </select>
            <input id="filter" type="search" placeholder="Session id starts with…" aria-label="Session id prefix" autocomplete="off" />
          </div>
        </div>
        <div class="scroll">
          <table id="sessions">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col"><button type="button" data-sort="callCount">Calls</button></th>
                <th scope="col"><button type="button" data-sort="textCount">Texts</button></th>
                <th scope="col"><button type="button" data-sort="errorCount">Errors</button></th>
                <th scope="col"><button type="button" data-sort="estimatedCostUsd">Cost</button></th>
                <th scope="col"><button type="button" data-sort="p95TimeMs">p95</button></th>
                <th scope="col"><button type="button" data-sort="lastActivityAt">Last activity</button></th>
              </tr>
            </thead>
            <tbody></tbody>
          </table>
        </div>
        <p id="sessions-empty" class="muted" hidden>No session matches.</p>
        <nav class="pager" aria-label="Session pages">
          <button id="page-prev" type="button" disabled>Previous</button>
          <span id="page-info" class="muted"></span>
          <button id="page-next" type="button" disabled>Next</button>
          <span class="muted">· the column buttons sort the page shown</span>
        </nav>
      </section>
      <section id="detail" class="panel" aria-label="Session details" hidden>
        <div class="panel-head">
          <h2>Session <span id="detail-id" class="mono"></span></h2>
          <button id="detail-close" type="button" class="link">Close</button>
        </div>
        <dl id="detail-figures" class="figures"></dl>
        <div class="scroll"><table id="detail-models" class="models"></table></div>
      </section>
      <div class="split">
        <section class="panel" aria-label="Per model">
          <h2>Per model</h2>
          <div class="scroll"><table id="models" class="models"></table></div>
        </section>
        <section class="panel" aria-label="Per error">
          <h2>Errors by type</h2>
          <div class="scroll"><table id="errors"></table></div>
        </section>
      </div>
    </main>
  </body>
</html>
`;
}

/** Everything from the module's own origin; no inline script or style, no eval, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
