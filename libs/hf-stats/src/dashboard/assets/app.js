// @ts-check
/**
 * The dashboard's script, served as `<path>/dashboard/app.js`: a classic script for the browser, no
 * dependency, no build step, no eval. Checked by `tsc` (`libs/hf-stats/tsconfig.assets.json`, with the DOM
 * types) through the JSDoc types below, which name the server's own interfaces. Every name or message from
 * the server is written with `textContent` or as an SVG `<title>` text node, never parsed as markup.
 */
'use strict';

/**
 * @typedef {import('../dashboard.interfaces.js').DashboardPageConfig} DashboardPageConfig
 * @typedef {import('../../stats/hf-stats.interfaces.js').HfStatsSnapshot} HfStatsSnapshot
 * @typedef {import('../../stats/hf-stats.interfaces.js').HfSessionStats} HfSessionStats
 * @typedef {import('../../stats/hf-stats.interfaces.js').HfModelStats} HfModelStats
 * @typedef {import('../../stats/hf-stats.interfaces.js').HfStats} HfStats
 * @typedef {import('../timeline.interfaces.js').HfTimeline} HfTimeline
 * @typedef {import('../timeline.interfaces.js').HfTimelinePoint} HfTimelinePoint
 * @typedef {'calls' | 'p95' | 'cost'} ChartLabel
 * @typedef {'callCount' | 'textCount' | 'errorCount' | 'estimatedCostUsd' | 'p95TimeMs' | 'lastActivityAt'} SortKey
 */

// A block, so that nothing here becomes a global of the page.
{
  /** The page's own pace, not a server limit. */
  const REFRESH_MS = 5000;
  const SVG = 'http://www.w3.org/2000/svg';

  /**
   * The server's limits, embedded in the page: the charts never ask for more minutes than it keeps, the
   * table never for more sessions than it answers. No fallback here: a missing one is a server bug, shown.
   * @returns {DashboardPageConfig | string} the limits, or what is wrong with them
   */
  const readConfig = () => {
    /** @type {Array<keyof DashboardPageConfig>} */
    const keys = ['timelineMinutes', 'pageSize', 'maxPageSize'];
    /** @type {Partial<DashboardPageConfig>} */
    const config = {};
    for (const key of keys) {
      const value = Number(document.body.dataset[key]);
      if (!Number.isSafeInteger(value) || value < 1) {
        return `the page lacks its ${key} limit`;
      }
      config[key] = value;
    }
    return /** @type {DashboardPageConfig} */ (config);
  };

  /**
   * An element of the page that must be there, of the type the script expects.
   * @template {Element} E
   * @param {string} selector
   * @param {{ new (): E, prototype: E }} type
   * @returns {E}
   */
  const $ = (selector, type) => {
    const node = document.querySelector(selector);
    if (!(node instanceof type)) {
      throw new Error(`the page has no ${type.name} at ${selector}`);
    }
    return node;
  };

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {string | null} [text]
   * @param {string} [className]
   * @returns {HTMLElementTagNameMap[K]}
   */
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} attrs
   * @param {Element} [parent]
   * @returns {SVGElement}
   */
  const svg = (tag, attrs, parent) => {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  };

  /** @param {Node} node */
  const clear = (node) => {
    while (node.firstChild) node.removeChild(node.firstChild);
  };

  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  /** @param {number} n */
  const fmtInt = (n) => integer.format(n);
  /** @param {number | null | undefined} usd */
  const fmtCost = (usd) => {
    if (usd === null || usd === undefined) return '–';
    if (usd === 0) return '$0';
    const digits = usd >= 1 ? 2 : Math.min(9, Math.max(2, 2 - Math.floor(Math.log10(usd)) + 1));
    return '$' + usd.toFixed(digits);
  };
  /** @param {number | null | undefined} ms */
  const fmtMs = (ms) => {
    if (ms === null || ms === undefined) return '–';
    if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms >= 100 || ms === 0) return Math.round(ms) + ' ms';
    return ms.toFixed(ms >= 10 ? 1 : 2) + ' ms';
  };
  /** @param {string | null} iso */
  const fmtAgo = (iso) => {
    if (!iso) return '–';
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return new Date(iso).toLocaleString();
  };
  /** @param {string} iso */
  const fmtClock = (iso) => {
    const date = new Date(iso);
    return String(date.getHours()).padStart(2, '0') + ':' + String(date.getMinutes()).padStart(2, '0');
  };
  /** @param {{ inputTokens: number, outputTokens: number }} stats */
  const tokensOf = (stats) => stats.inputTokens + stats.outputTokens;

  /**
   * @param {string} name
   * @param {number | null} value
   * @param {string} text
   */
  const setFigure = (name, value, text) => {
    const node = $(`[data-figure="${name}"]`, HTMLElement);
    node.textContent = text;
    node.setAttribute('data-value', value === null ? '' : String(value));
  };

  /** @param {HfStats} global */
  const renderHeadline = (global) => {
    setFigure('calls', global.callCount, fmtInt(global.callCount));
    setFigure('texts', global.textCount, fmtInt(global.textCount));
    setFigure('tokens', tokensOf(global), fmtInt(tokensOf(global)));
    setFigure('errors', global.errorCount, fmtInt(global.errorCount));
    setFigure('cost', global.estimatedCostUsd, fmtCost(global.estimatedCostUsd));
    setFigure('p95', global.p95TimeMs, fmtMs(global.p95TimeMs));
    $('[data-figure="errors"]', HTMLElement).classList.toggle('error-text', global.errorCount > 0);
    $('#empty', HTMLElement).hidden = global.callCount > 0;
  };

  // Charts: hand-written SVG in a fixed viewBox that scales with its box.
  const W = 380;
  const H = 160;
  const PAD = { left: 50, right: 6, top: 10, bottom: 22 };
  const PLOT_W = W - PAD.left - PAD.right;
  const PLOT_H = H - PAD.top - PAD.bottom;

  /** @param {number} value */
  const niceMax = (value) => {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  };

  /**
   * @param {ChartLabel} label
   * @param {number} value
   */
  const tickText = (label, value) => {
    if (value === 0) return '0';
    if (label === 'cost') return '$' + Number(value.toPrecision(2));
    if (label === 'p95') return fmtMs(value);
    return fmtInt(value);
  };

  /**
   * The axes of a chart, in a fresh SVG in `container`.
   * @param {HTMLElement} container
   * @param {HfTimelinePoint[]} points
   * @param {number} max
   * @param {ChartLabel} label
   * @param {boolean} empty
   */
  const frame = (container, points, max, label, empty) => {
    clear(container);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label }, container);
    for (let i = empty ? 2 : 0; i <= 2; i++) {
      const y = PAD.top + (PLOT_H * i) / 2;
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'axis' }, root);
      const tick = svg('text', { x: PAD.left - 6, y: y + 3, 'text-anchor': 'end', class: 'tick' }, root);
      tick.textContent = tickText(label, (max * (2 - i)) / 2);
    }
    const n = points.length;
    const marks = [0, Math.floor((n - 1) / 2), n - 1];
    marks.forEach((mark, j) => {
      const x = j === 0 ? PAD.left : j === 2 ? W - PAD.right : PAD.left + ((mark + 0.5) * PLOT_W) / n;
      const anchor = j === 0 ? 'start' : j === 2 ? 'end' : 'middle';
      const text = svg('text', { x, y: H - 6, 'text-anchor': anchor, class: 'tick' }, root);
      text.textContent = j === 2 ? 'now' : fmtClock(points[mark].at);
    });
    return root;
  };

  /**
   * @param {SVGElement} root
   * @param {string} message
   */
  const noData = (root, message) => {
    const text = svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, root);
    text.textContent = message;
  };

  /**
   * @param {SVGElement} root
   * @param {HfTimelinePoint[]} points
   * @param {(point: HfTimelinePoint) => number | null} valueOf
   * @param {number} max
   * @param {string} className
   * @param {(point: HfTimelinePoint) => string} titleOf
   */
  const bars = (root, points, valueOf, max, className, titleOf) => {
    const slot = PLOT_W / points.length;
    const width = Math.max(1, slot * 0.72);
    points.forEach((point, i) => {
      const value = valueOf(point) || 0;
      if (value <= 0) return;
      const h = Math.max(1.5, (value / max) * PLOT_H);
      const x = PAD.left + i * slot + (slot - width) / 2;
      const rect = svg('rect', { x, y: PAD.top + PLOT_H - h, width, height: h, rx: 1.5, class: className }, root);
      svg('title', {}, rect).textContent = titleOf(point);
    });
  };

  /**
   * @param {HfTimelinePoint[]} points
   * @param {(point: HfTimelinePoint) => number | null} valueOf
   */
  const maxOf = (points, valueOf) => niceMax(Math.max(...points.map((point) => valueOf(point) || 0)));

  /** @param {HfTimeline} timeline */
  const renderCharts = (timeline) => {
    const points = timeline.global;
    const any = points.some((p) => p.callCount > 0);
    const priced = points.some((p) => p.estimatedCostUsd !== null);
    const callMax = maxOf(points, (p) => p.callCount);
    const calls = frame($('#chart-calls', HTMLElement), points, callMax, 'calls', !any);
    const p95Max = maxOf(points, (p) => p.p95TimeMs);
    const p95 = frame($('#chart-p95', HTMLElement), points, p95Max, 'p95', !any);
    const costMax = maxOf(points, (p) => p.estimatedCostUsd);
    const cost = frame($('#chart-cost', HTMLElement), points, costMax, 'cost', !priced);
    if (!any) {
      const empty = `No calls in the last ${timeline.minutes} minutes`;
      noData(calls, empty);
      noData(p95, empty);
      noData(cost, empty);
      return;
    }
    /** @param {HfTimelinePoint} p */
    const describe = (p) => `${fmtClock(p.at)}: ${fmtInt(p.callCount)} calls, ${fmtInt(p.errorCount)} errors`;
    bars(calls, points, (p) => p.callCount, callMax, 'bar-calls', describe);
    bars(calls, points, (p) => p.errorCount, callMax, 'bar-errors', describe);

    const n = points.length;
    let path = '';
    /** @type {Array<[number, number, HfTimelinePoint]>} */
    const dots = [];
    points.forEach((point, i) => {
      const value = point.p95TimeMs;
      if (value === null) return;
      const x = PAD.left + ((i + 0.5) * PLOT_W) / n;
      const y = PAD.top + PLOT_H - (value / p95Max) * PLOT_H;
      path += (i === 0 || points[i - 1].p95TimeMs === null ? 'M' : 'L') + x.toFixed(1) + ' ' + y.toFixed(1) + ' ';
      dots.push([x, y, point]);
    });
    svg('path', { d: path.trim(), class: 'line-p95' }, p95);
    for (const [cx, cy, point] of dots) {
      const circle = svg('circle', { cx, cy, r: 2.5, class: 'dot-p95' }, p95);
      svg('title', {}, circle).textContent = `${fmtClock(point.at)}: p95 ${fmtMs(point.p95TimeMs)}`;
    }

    if (priced) {
      bars(
        cost,
        points,
        (p) => p.estimatedCostUsd,
        costMax,
        'bar-cost',
        (p) => {
          return `${fmtClock(p.at)}: ${fmtCost(p.estimatedCostUsd)}`;
        },
      );
    } else {
      noData(cost, 'No priced calls (set the pricing option)');
    }
  };

  /**
   * One row per name of a dimension (model, provider), the busiest first.
   * @param {HTMLTableElement} table
   * @param {Record<string, HfModelStats>} byModel
   * @param {string} [dimension]
   */
  const modelTable = (table, byModel, dimension = 'Model') => {
    clear(table);
    const head = el('tr');
    for (const name of [dimension, 'Calls', 'Texts', 'Tokens', 'Errors', 'Cost', 'p50', 'p95']) {
      const th = el('th', name);
      th.scope = 'col';
      head.appendChild(th);
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    const names = Object.keys(byModel).toSorted(
      (a, b) => byModel[b].callCount - byModel[a].callCount || (a < b ? -1 : 1),
    );
    if (names.length === 0) {
      const row = body.appendChild(el('tr'));
      const cell = row.appendChild(el('td', 'No calls yet', 'muted'));
      cell.colSpan = 8;
      return;
    }
    for (const name of names) {
      const m = byModel[name];
      const tr = body.appendChild(el('tr'));
      tr.appendChild(el('td', name, 'mono'));
      tr.appendChild(el('td', fmtInt(m.callCount)));
      tr.appendChild(el('td', fmtInt(m.textCount)));
      tr.appendChild(el('td', fmtInt(tokensOf(m))));
      tr.appendChild(el('td', fmtInt(m.errorCount), m.errorCount > 0 ? 'error-text' : ''));
      tr.appendChild(el('td', fmtCost(m.estimatedCostUsd)));
      tr.appendChild(el('td', fmtMs(m.p50TimeMs)));
      tr.appendChild(el('td', fmtMs(m.p95TimeMs)));
    }
  };

  /** @param {HfStats} global */
  const errorTable = (global) => {
    const table = $('#errors', HTMLTableElement);
    clear(table);
    const head = el('tr');
    for (const name of ['Type', 'Calls']) head.appendChild(el('th', name));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    /** @type {Array<[string, number]>} */
    const failed = Object.entries(global.errors).map(([type, count]) => [`failed: ${type}`, count]);
    /** @type {Array<[string, number]>} */
    const refused = Object.entries(global.statusCodes)
      .filter(([status]) => Number(status) >= 400)
      .map(([status, count]) => [`HTTP attempt ${status}`, count]);
    const rows = [...failed, ...refused].toSorted((a, b) => b[1] - a[1]);
    if (rows.length === 0) {
      const cell = body.appendChild(el('tr')).appendChild(el('td', 'No errors', 'muted'));
      cell.colSpan = 2;
      return;
    }
    for (const [label, count] of rows) {
      const tr = body.appendChild(el('tr'));
      tr.appendChild(el('td', label, 'mono'));
      tr.appendChild(el('td', fmtInt(count), 'error-text'));
    }
  };

  /**
   * @param {string | null} value
   * @returns {value is SortKey}
   */
  const isSortKey = (value) =>
    value === 'callCount' ||
    value === 'textCount' ||
    value === 'errorCount' ||
    value === 'estimatedCostUsd' ||
    value === 'p95TimeMs' ||
    value === 'lastActivityAt';

  /**
   * @param {HfSessionStats} session
   * @param {SortKey} key
   */
  const sortValue = (session, key) => {
    if (key === 'lastActivityAt') return Date.parse(session.lastActivityAt);
    const value = session[key];
    return value === null || value === undefined ? -1 : value;
  };

  // The table shows one page of sessions, asked of the server with the filters; cursors[i] starts page i.
  /**
   * @type {{
   *   snapshot: HfStatsSnapshot | null, timeline: HfTimeline | null, detail: HfSessionStats | null,
   *   sortKey: SortKey, sortDir: number, prefix: string, status: string, cursors: Array<string | null>,
   *   pageIndex: number, selected: string | null,
   * }}
   */
  const state = {
    snapshot: null,
    timeline: null,
    detail: null,
    sortKey: 'lastActivityAt',
    sortDir: -1,
    prefix: '',
    status: 'all',
    cursors: [null],
    pageIndex: 0,
    selected: null,
  };

  /**
   * The rows of the page shown, sorted by the column chosen; active first, as the server lists them.
   * @param {HfStatsSnapshot} snapshot
   */
  const visibleSessions = (snapshot) =>
    snapshot.sessions.toSorted((a, b) => {
      if (a.active !== b.active) return a.active ? -1 : 1;
      const diff = sortValue(a, state.sortKey) - sortValue(b, state.sortKey);
      if (diff !== 0) return diff * state.sortDir;
      return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
    });

  /**
   * @param {HfStatsSnapshot} snapshot
   * @param {number} pageSize
   */
  const renderSessions = (snapshot, pageSize) => {
    const sessions = visibleSessions(snapshot);
    const body = $('#sessions tbody', HTMLElement);
    clear(body);
    for (const s of sessions) {
      const tr = body.appendChild(el('tr'));
      tr.setAttribute('data-session', s.sessionId);
      if (s.sessionId === state.selected) tr.className = 'selected';
      const id = tr.appendChild(el('td'));
      id.appendChild(el('span', s.sessionId, 'mono'));
      id.appendChild(el('span', s.active ? 'active' : 'ended', s.active ? 'badge active' : 'badge'));
      tr.appendChild(el('td', fmtInt(s.callCount)));
      tr.appendChild(el('td', fmtInt(s.textCount)));
      tr.appendChild(el('td', fmtInt(s.errorCount), s.errorCount > 0 ? 'error-text' : ''));
      tr.appendChild(el('td', fmtCost(s.estimatedCostUsd)));
      tr.appendChild(el('td', fmtMs(s.p95TimeMs)));
      tr.appendChild(el('td', fmtAgo(s.lastActivityAt)));
    }
    // The counts are the server's: the table holds one page of them.
    const total = snapshot.sessionCount;
    $('#session-count', HTMLElement).textContent =
      total === 0 ? '(none yet)' : `(${fmtInt(snapshot.activeSessionCount)} active, ${fmtInt(total)} retained)`;
    $('#sessions-empty', HTMLElement).hidden = sessions.length > 0 || total === 0;
    const first = state.pageIndex * pageSize;
    $('#page-info', HTMLElement).textContent =
      sessions.length === 0
        ? `0 of ${fmtInt(snapshot.matchCount)}`
        : `${fmtInt(first + 1)}–${fmtInt(first + sessions.length)} of ${fmtInt(snapshot.matchCount)}`;
    $('#page-prev', HTMLButtonElement).disabled = state.pageIndex === 0;
    $('#page-next', HTMLButtonElement).disabled = snapshot.nextCursor === null;
    document.querySelectorAll('#sessions th button').forEach((button) => {
      if (button.getAttribute('data-sort') === state.sortKey) {
        button.setAttribute('aria-sort', state.sortDir < 0 ? 'descending' : 'ascending');
      } else {
        button.removeAttribute('aria-sort');
      }
    });
  };

  const renderDetail = () => {
    const panel = $('#detail', HTMLElement);
    const session = state.selected === null ? null : state.detail;
    if (session === null || session.sessionId !== state.selected) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    $('#detail-id', HTMLElement).textContent = session.sessionId;
    const figures = $('#detail-figures', HTMLElement);
    clear(figures);
    for (const [term, value] of [
      ['Status', session.active ? 'active' : 'ended'],
      ['Calls', fmtInt(session.callCount)],
      ['Texts', fmtInt(session.textCount)],
      ['Tokens', fmtInt(tokensOf(session))],
      ['Errors', fmtInt(session.errorCount)],
      ['Estimated cost', fmtCost(session.estimatedCostUsd)],
      ['p95', fmtMs(session.p95TimeMs)],
      ['Started', new Date(session.startedAt).toLocaleString()],
      ['Last activity', fmtAgo(session.lastActivityAt)],
    ]) {
      const div = figures.appendChild(el('div'));
      div.appendChild(el('dt', term));
      div.appendChild(el('dd', value));
    }
    modelTable($('#detail-models', HTMLTableElement), session.byModel);
  };

  /** @param {number} pageSize */
  const render = (pageSize) => {
    const snapshot = state.snapshot;
    if (snapshot === null) return;
    renderHeadline(snapshot.global);
    modelTable($('#models', HTMLTableElement), snapshot.global.byModel);
    modelTable($('#providers', HTMLTableElement), snapshot.global.byProvider, 'Provider');
    errorTable(snapshot.global);
    renderSessions(snapshot, pageSize);
    renderDetail();
    if (state.timeline !== null) renderCharts(state.timeline);
  };

  /**
   * @param {string} url
   * @param {boolean} [missingIsNull]
   * @returns {Promise<unknown>}
   */
  const getJson = async (url, missingIsNull) => {
    const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (missingIsNull && response.status === 404) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
    return response.json();
  };

  /** @param {string} message */
  const showError = (message) => {
    const status = $('#status', HTMLElement);
    status.className = 'status error';
    status.textContent = message;
  };

  /** @param {DashboardPageConfig} config */
  const start = (config) => {
    // Never more rows than the server answers in one page: it would answer fewer, and the pager would lie.
    const pageSize = Math.min(config.pageSize, config.maxPageSize);
    // The JSON routes sit beside the page: <path>/dashboard -> <path>, <path>/timeline, <path>/sessions/:id.
    const base = location.pathname.replace(/\/dashboard\/?$/, '');

    // Global figures and one page of sessions, with the filters: never the whole list.
    const listingUrl = () => {
      let query = `?limit=${pageSize}`;
      const cursor = state.cursors[state.pageIndex];
      if (cursor) query += `&cursor=${encodeURIComponent(cursor)}`;
      if (state.prefix !== '') query += `&prefix=${encodeURIComponent(state.prefix)}`;
      if (state.status !== 'all') query += `&active=${state.status === 'active'}`;
      return base + query;
    };

    // A refresh asked while one runs is not started twice; an answer older than the latest request is dropped.
    let generation = 0;
    let inFlight = 0;
    /** @param {boolean} [force] */
    const refresh = (force) => {
      if (inFlight > 0 && !force) return;
      const mine = ++generation;
      const selected = state.selected;
      inFlight += 1;
      Promise.all([
        /** @type {Promise<HfStatsSnapshot>} */ (getJson(listingUrl())),
        /** @type {Promise<HfTimeline>} */ (getJson(`${base}/timeline?minutes=${config.timelineMinutes}&models=0`)),
        selected === null
          ? null
          : /** @type {Promise<HfSessionStats | null>} */ (
              getJson(`${base}/sessions/${encodeURIComponent(selected)}`, true)
            ),
      ])
        .then(([snapshot, timeline, detail]) => {
          if (mine !== generation) return;
          if (snapshot.sessions.length === 0 && state.pageIndex > 0) {
            // The page emptied (its sessions were evicted or reset): back to the first.
            state.cursors = [null];
            state.pageIndex = 0;
            refresh(true);
            return;
          }
          state.snapshot = snapshot;
          state.timeline = timeline;
          if (selected !== null && selected === state.selected) {
            state.detail = detail;
            // No longer retained (evicted or reset): stop asking for it.
            if (detail === null) state.selected = null;
          }
          render(pageSize);
          const status = $('#status', HTMLElement);
          status.className = 'status';
          status.textContent = `Updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
          document.body.setAttribute('data-loaded', String(Number(document.body.getAttribute('data-loaded') || 0) + 1));
        })
        .catch((/** @type {unknown} */ error) => {
          if (mine !== generation) return;
          showError(`Cannot refresh: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          inFlight -= 1;
        });
    };

    /** @param {number} index */
    const toPage = (index) => {
      state.pageIndex = index;
      refresh(true);
    };

    const refilter = () => {
      state.cursors = [null];
      state.pageIndex = 0;
      refresh(true);
    };

    document.querySelectorAll('#sessions th button').forEach((button) => {
      button.addEventListener('click', () => {
        const key = button.getAttribute('data-sort');
        if (!isSortKey(key)) return;
        state.sortDir = state.sortKey === key ? -state.sortDir : -1;
        state.sortKey = key;
        if (state.snapshot !== null) renderSessions(state.snapshot, pageSize);
      });
    });
    const filter = $('#filter', HTMLInputElement);
    filter.addEventListener('input', () => {
      state.prefix = filter.value.trim();
      refilter();
    });
    const status = $('#state', HTMLSelectElement);
    status.addEventListener('change', () => {
      state.status = status.value;
      refilter();
    });
    $('#page-next', HTMLElement).addEventListener('click', () => {
      if (state.snapshot === null || state.snapshot.nextCursor === null) return;
      state.cursors[state.pageIndex + 1] = state.snapshot.nextCursor;
      state.cursors.length = state.pageIndex + 2;
      toPage(state.pageIndex + 1);
    });
    $('#page-prev', HTMLElement).addEventListener('click', () => {
      if (state.pageIndex > 0) toPage(state.pageIndex - 1);
    });
    $('#sessions tbody', HTMLElement).addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const row = target?.closest('tr[data-session]') ?? null;
      const snapshot = state.snapshot;
      if (row === null || snapshot === null) return;
      const id = row.getAttribute('data-session');
      state.selected = id;
      // Shown at once from the page; later refreshes ask GET <path>/sessions/:id, on any page.
      state.detail = snapshot.sessions.find((s) => s.sessionId === id) ?? null;
      renderSessions(snapshot, pageSize);
      renderDetail();
      $('#detail', HTMLElement).scrollIntoView({ block: 'nearest' });
    });
    $('#detail-close', HTMLElement).addEventListener('click', () => {
      state.selected = null;
      state.detail = null;
      if (state.snapshot !== null) renderSessions(state.snapshot, pageSize);
      renderDetail();
    });
    refresh(true);
    setInterval(refresh, REFRESH_MS);
  };

  const begin = () => {
    const config = readConfig();
    if (typeof config === 'string') {
      showError(`Cannot start: ${config}`);
      return;
    }
    start(config);
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin);
  else begin();
}
