/**
 * The dashboard's script, served as `<path>/dashboard/app.js`: plain ES2020 for the browser, no
 * dependency, no eval. Every name or message from the server is written with `textContent` or as an
 * SVG `<title>` text node, never parsed as markup.
 */
export const DASHBOARD_JS: string = String.raw`'use strict';
(function () {
  var REFRESH_MS = 5000;
  var SVG = 'http://www.w3.org/2000/svg';
  // The server's limits, embedded in the page: the charts never ask for more minutes than it keeps.
  var config = document.body.dataset;
  var TIMELINE_MINUTES = Number(config.timelineMinutes) || 1;
  var PAGE_SIZE = Number(config.pageSize) || 50;
  // The JSON routes sit beside the page: <path>/dashboard -> <path>, <path>/timeline, <path>/sessions/:id.
  var base = location.pathname.replace(/\/dashboard\/?$/, '');
  // The table shows one page of sessions, asked of the server with the filters; cursors[i] starts page i.
  var state = {
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

  function $(selector) {
    return document.querySelector(selector);
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function svg(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  var integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  function fmtInt(n) {
    return integer.format(n);
  }
  function fmtCost(usd) {
    if (usd === null || usd === undefined) return '–';
    if (usd === 0) return '$0';
    var digits = usd >= 1 ? 2 : Math.min(9, Math.max(2, 2 - Math.floor(Math.log10(usd)) + 1));
    return '$' + usd.toFixed(digits);
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms >= 100 || ms === 0) return Math.round(ms) + ' ms';
    return ms.toFixed(ms >= 10 ? 1 : 2) + ' ms';
  }
  function fmtAgo(iso) {
    if (!iso) return '–';
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return new Date(iso).toLocaleString();
  }
  function fmtClock(iso) {
    var date = new Date(iso);
    return String(date.getHours()).padStart(2, '0') + ':' + String(date.getMinutes()).padStart(2, '0');
  }
  function tokensOf(stats) {
    return stats.inputTokens + stats.outputTokens;
  }

  function setFigure(name, value, text) {
    var node = document.querySelector('[data-figure="' + name + '"]');
    node.textContent = text;
    node.setAttribute('data-value', value === null ? '' : String(value));
  }

  function renderHeadline(global) {
    setFigure('calls', global.callCount, fmtInt(global.callCount));
    setFigure('texts', global.textCount, fmtInt(global.textCount));
    setFigure('tokens', tokensOf(global), fmtInt(tokensOf(global)));
    setFigure('errors', global.errorCount, fmtInt(global.errorCount));
    setFigure('cost', global.estimatedCostUsd, fmtCost(global.estimatedCostUsd));
    setFigure('p95', global.p95TimeMs, fmtMs(global.p95TimeMs));
    document.querySelector('[data-figure="errors"]').classList.toggle('error-text', global.errorCount > 0);
    $('#empty').hidden = global.callCount > 0;
  }

  // Charts: hand-written SVG in a fixed viewBox that scales with its box.
  var W = 380;
  var H = 160;
  var PAD = { left: 50, right: 6, top: 10, bottom: 22 };

  function niceMax(value) {
    if (!(value > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  function tickText(label, value) {
    if (value === 0) return '0';
    if (label === 'cost') return '$' + Number(value.toPrecision(2));
    if (label === 'p95') return fmtMs(value);
    return fmtInt(value);
  }

  function frame(container, points, max, label, empty) {
    clear(container);
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label }, container);
    var plotH = H - PAD.top - PAD.bottom;
    for (var i = empty ? 2 : 0; i <= 2; i++) {
      var y = PAD.top + (plotH * i) / 2;
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'axis' }, root);
      var tick = svg('text', { x: PAD.left - 6, y: y + 3, 'text-anchor': 'end', class: 'tick' }, root);
      tick.textContent = tickText(label, (max * (2 - i)) / 2);
    }
    var n = points.length;
    var marks = [0, Math.floor((n - 1) / 2), n - 1];
    for (var j = 0; j < marks.length; j++) {
      var x = j === 0 ? PAD.left : j === 2 ? W - PAD.right : PAD.left + ((marks[j] + 0.5) * (W - PAD.left - PAD.right)) / n;
      var anchor = j === 0 ? 'start' : j === 2 ? 'end' : 'middle';
      var text = svg('text', { x: x, y: H - 6, 'text-anchor': anchor, class: 'tick' }, root);
      text.textContent = j === 2 ? 'now' : fmtClock(points[marks[j]].at);
    }
    return root;
  }

  function noData(root, message) {
    var text = svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, root);
    text.textContent = message;
  }

  function bars(root, points, valueOf, max, className, titleOf) {
    var n = points.length;
    var plotW = W - PAD.left - PAD.right;
    var plotH = H - PAD.top - PAD.bottom;
    var slot = plotW / n;
    var width = Math.max(1, slot * 0.72);
    for (var i = 0; i < n; i++) {
      var value = valueOf(points[i]) || 0;
      if (value <= 0) continue;
      var h = Math.max(1.5, (value / max) * plotH);
      var rect = svg('rect', { x: PAD.left + i * slot + (slot - width) / 2, y: PAD.top + plotH - h, width: width, height: h, rx: 1.5, class: className }, root);
      svg('title', {}, rect).textContent = titleOf(points[i]);
    }
  }

  function renderCharts(timeline) {
    var points = timeline.global;
    var any = points.some(function (p) { return p.callCount > 0; });
    var priced = points.some(function (p) { return p.estimatedCostUsd !== null; });
    var calls = frame($('#chart-calls'), points, niceMax(Math.max.apply(null, points.map(function (p) { return p.callCount; }))), 'calls', !any);
    var p95Max = niceMax(Math.max.apply(null, points.map(function (p) { return p.p95TimeMs || 0; })));
    var p95 = frame($('#chart-p95'), points, p95Max, 'p95', !any);
    var costMax = niceMax(Math.max.apply(null, points.map(function (p) { return p.estimatedCostUsd || 0; })));
    var cost = frame($('#chart-cost'), points, costMax, 'cost', !priced);
    var empty = 'No calls in the last ' + timeline.minutes + ' minutes';
    if (!any) {
      noData(calls, empty);
      noData(p95, empty);
      noData(cost, empty);
      return;
    }
    var callMax = niceMax(Math.max.apply(null, points.map(function (p) { return p.callCount; })));
    var describe = function (p) {
      return fmtClock(p.at) + ': ' + fmtInt(p.callCount) + ' calls, ' + fmtInt(p.errorCount) + ' errors';
    };
    bars(calls, points, function (p) { return p.callCount; }, callMax, 'bar-calls', describe);
    bars(calls, points, function (p) { return p.errorCount; }, callMax, 'bar-errors', describe);

    var n = points.length;
    var plotW = W - PAD.left - PAD.right;
    var plotH = H - PAD.top - PAD.bottom;
    var path = '';
    var dots = [];
    for (var i = 0; i < n; i++) {
      var value = points[i].p95TimeMs;
      if (value === null) continue;
      var x = PAD.left + ((i + 0.5) * plotW) / n;
      var y = PAD.top + plotH - (value / p95Max) * plotH;
      path += (i === 0 || points[i - 1].p95TimeMs === null ? 'M' : 'L') + x.toFixed(1) + ' ' + y.toFixed(1) + ' ';
      dots.push([x, y, points[i]]);
    }
    svg('path', { d: path.trim(), class: 'line-p95' }, p95);
    dots.forEach(function (dot) {
      var circle = svg('circle', { cx: dot[0], cy: dot[1], r: 2.5, class: 'dot-p95' }, p95);
      svg('title', {}, circle).textContent = fmtClock(dot[2].at) + ': p95 ' + fmtMs(dot[2].p95TimeMs);
    });

    if (priced) {
      bars(cost, points, function (p) { return p.estimatedCostUsd; }, costMax, 'bar-cost', function (p) {
        return fmtClock(p.at) + ': ' + fmtCost(p.estimatedCostUsd);
      });
    } else {
      noData(cost, 'No priced calls (set the pricing option)');
    }
  }

  function modelTable(table, byModel) {
    clear(table);
    var head = el('tr');
    ['Model', 'Calls', 'Texts', 'Tokens', 'Errors', 'Cost', 'p50', 'p95'].forEach(function (name) {
      var th = el('th', name);
      th.scope = 'col';
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    var names = Object.keys(byModel).sort(function (a, b) {
      return byModel[b].callCount - byModel[a].callCount || (a < b ? -1 : 1);
    });
    if (names.length === 0) {
      var row = body.appendChild(el('tr'));
      var cell = row.appendChild(el('td', 'No calls yet', 'muted'));
      cell.colSpan = 8;
      return;
    }
    names.forEach(function (name) {
      var m = byModel[name];
      var tr = body.appendChild(el('tr'));
      tr.appendChild(el('td', name, 'mono'));
      tr.appendChild(el('td', fmtInt(m.callCount)));
      tr.appendChild(el('td', fmtInt(m.textCount)));
      tr.appendChild(el('td', fmtInt(tokensOf(m))));
      tr.appendChild(el('td', fmtInt(m.errorCount), m.errorCount > 0 ? 'error-text' : ''));
      tr.appendChild(el('td', fmtCost(m.estimatedCostUsd)));
      tr.appendChild(el('td', fmtMs(m.p50TimeMs)));
      tr.appendChild(el('td', fmtMs(m.p95TimeMs)));
    });
  }

  function errorTable(global) {
    var table = $('#errors');
    clear(table);
    var head = el('tr');
    ['Type', 'Calls'].forEach(function (name) { head.appendChild(el('th', name)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    var rows = [];
    Object.keys(global.errors).forEach(function (type) { rows.push(['failed: ' + type, global.errors[type]]); });
    Object.keys(global.statusCodes).forEach(function (status) {
      if (Number(status) >= 400) rows.push(['HTTP attempt ' + status, global.statusCodes[status]]);
    });
    rows.sort(function (a, b) { return b[1] - a[1]; });
    if (rows.length === 0) {
      var cell = body.appendChild(el('tr')).appendChild(el('td', 'No errors', 'muted'));
      cell.colSpan = 2;
      return;
    }
    rows.forEach(function (row) {
      var tr = body.appendChild(el('tr'));
      tr.appendChild(el('td', row[0], 'mono'));
      tr.appendChild(el('td', fmtInt(row[1]), 'error-text'));
    });
  }

  function sortValue(session, key) {
    if (key === 'lastActivityAt') return Date.parse(session.lastActivityAt);
    var value = session[key];
    return value === null || value === undefined ? -1 : value;
  }

  // The rows of the page shown, sorted by the column chosen; active first, as the server lists them.
  function visibleSessions() {
    return state.snapshot.sessions.slice().sort(function (a, b) {
      if (a.active !== b.active) return a.active ? -1 : 1;
      var diff = sortValue(a, state.sortKey) - sortValue(b, state.sortKey);
      if (diff !== 0) return diff * state.sortDir;
      return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
    });
  }

  function renderSessions() {
    var snapshot = state.snapshot;
    var sessions = visibleSessions();
    var body = $('#sessions tbody');
    clear(body);
    sessions.forEach(function (s) {
      var tr = body.appendChild(el('tr'));
      tr.setAttribute('data-session', s.sessionId);
      if (s.sessionId === state.selected) tr.className = 'selected';
      var id = tr.appendChild(el('td'));
      id.appendChild(el('span', s.sessionId, 'mono'));
      id.appendChild(el('span', s.active ? 'active' : 'ended', s.active ? 'badge active' : 'badge'));
      tr.appendChild(el('td', fmtInt(s.callCount)));
      tr.appendChild(el('td', fmtInt(s.textCount)));
      tr.appendChild(el('td', fmtInt(s.errorCount), s.errorCount > 0 ? 'error-text' : ''));
      tr.appendChild(el('td', fmtCost(s.estimatedCostUsd)));
      tr.appendChild(el('td', fmtMs(s.p95TimeMs)));
      tr.appendChild(el('td', fmtAgo(s.lastActivityAt)));
    });
    // The counts are the server's: the table holds one page of them.
    var total = snapshot.sessionCount;
    $('#session-count').textContent =
      total === 0 ? '(none yet)' : '(' + fmtInt(snapshot.activeSessionCount) + ' active, ' + fmtInt(total) + ' retained)';
    $('#sessions-empty').hidden = sessions.length > 0 || total === 0;
    var first = state.pageIndex * PAGE_SIZE;
    $('#page-info').textContent =
      sessions.length === 0
        ? '0 of ' + fmtInt(snapshot.matchCount)
        : fmtInt(first + 1) + '–' + fmtInt(first + sessions.length) + ' of ' + fmtInt(snapshot.matchCount);
    $('#page-prev').disabled = state.pageIndex === 0;
    $('#page-next').disabled = snapshot.nextCursor === null;
    document.querySelectorAll('#sessions th button').forEach(function (button) {
      if (button.getAttribute('data-sort') === state.sortKey) {
        button.setAttribute('aria-sort', state.sortDir < 0 ? 'descending' : 'ascending');
      } else {
        button.removeAttribute('aria-sort');
      }
    });
  }

  function renderDetail() {
    var panel = $('#detail');
    var session = state.selected === null ? null : state.detail;
    if (session === null || session.sessionId !== state.selected) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    $('#detail-id').textContent = session.sessionId;
    var figures = $('#detail-figures');
    clear(figures);
    [
      ['Status', session.active ? 'active' : 'ended'],
      ['Calls', fmtInt(session.callCount)],
      ['Texts', fmtInt(session.textCount)],
      ['Tokens', fmtInt(tokensOf(session))],
      ['Errors', fmtInt(session.errorCount)],
      ['Estimated cost', fmtCost(session.estimatedCostUsd)],
      ['p95', fmtMs(session.p95TimeMs)],
      ['Started', new Date(session.startedAt).toLocaleString()],
      ['Last activity', fmtAgo(session.lastActivityAt)],
    ].forEach(function (pair) {
      var div = figures.appendChild(el('div'));
      div.appendChild(el('dt', pair[0]));
      div.appendChild(el('dd', pair[1]));
    });
    modelTable($('#detail-models'), session.byModel);
  }

  function render() {
    if (state.snapshot === null) return;
    renderHeadline(state.snapshot.global);
    modelTable($('#models'), state.snapshot.global.byModel);
    errorTable(state.snapshot.global);
    renderSessions();
    renderDetail();
    if (state.timeline !== null) renderCharts(state.timeline);
  }

  function getJson(url, missingIsNull) {
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (response) {
      if (missingIsNull && response.status === 404) return null;
      if (!response.ok) throw new Error('HTTP ' + response.status + ' from ' + url);
      return response.json();
    });
  }

  // Global figures and one page of sessions, with the filters: never the whole list.
  function listingUrl() {
    var query = '?limit=' + PAGE_SIZE;
    var cursor = state.cursors[state.pageIndex];
    if (cursor) query += '&cursor=' + encodeURIComponent(cursor);
    if (state.prefix !== '') query += '&prefix=' + encodeURIComponent(state.prefix);
    if (state.status !== 'all') query += '&active=' + (state.status === 'active');
    return base + query;
  }

  // A refresh asked while one runs is not started twice; an answer older than the latest request is dropped.
  var generation = 0;
  var inFlight = 0;
  function refresh(force) {
    if (inFlight > 0 && !force) return;
    var mine = ++generation;
    var selected = state.selected;
    inFlight += 1;
    Promise.all([
      getJson(listingUrl()),
      getJson(base + '/timeline?minutes=' + TIMELINE_MINUTES + '&models=0'),
      selected === null ? null : getJson(base + '/sessions/' + encodeURIComponent(selected), true),
    ])
      .then(function (results) {
        if (mine !== generation) return;
        if (results[0].sessions.length === 0 && state.pageIndex > 0) {
          // The page emptied (its sessions were evicted or reset): back to the first.
          state.cursors = [null];
          state.pageIndex = 0;
          return refresh(true);
        }
        state.snapshot = results[0];
        state.timeline = results[1];
        if (selected !== null && selected === state.selected) {
          state.detail = results[2];
          // No longer retained (evicted or reset): stop asking for it.
          if (results[2] === null) state.selected = null;
        }
        render();
        var status = $('#status');
        status.className = 'status';
        status.textContent = 'Updated ' + new Date().toLocaleTimeString() + ' · every ' + REFRESH_MS / 1000 + ' s';
        document.body.setAttribute('data-loaded', String(Number(document.body.getAttribute('data-loaded') || 0) + 1));
      })
      .catch(function (error) {
        if (mine !== generation) return;
        var status = $('#status');
        status.className = 'status error';
        status.textContent = 'Cannot refresh: ' + (error && error.message ? error.message : String(error));
      })
      .then(function () {
        inFlight -= 1;
      });
  }

  function toPage(index) {
    state.pageIndex = index;
    refresh(true);
  }

  function refilter() {
    state.cursors = [null];
    state.pageIndex = 0;
    refresh(true);
  }

  function start() {
    document.querySelectorAll('#sessions th button').forEach(function (button) {
      button.addEventListener('click', function () {
        var key = button.getAttribute('data-sort');
        state.sortDir = state.sortKey === key ? -state.sortDir : -1;
        state.sortKey = key;
        if (state.snapshot !== null) renderSessions();
      });
    });
    $('#filter').addEventListener('input', function (event) {
      state.prefix = event.target.value.trim();
      refilter();
    });
    $('#state').addEventListener('change', function (event) {
      state.status = event.target.value;
      refilter();
    });
    $('#page-next').addEventListener('click', function () {
      if (state.snapshot === null || state.snapshot.nextCursor === null) return;
      state.cursors[state.pageIndex + 1] = state.snapshot.nextCursor;
      state.cursors.length = state.pageIndex + 2;
      toPage(state.pageIndex + 1);
    });
    $('#page-prev').addEventListener('click', function () {
      if (state.pageIndex > 0) toPage(state.pageIndex - 1);
    });
    $('#sessions tbody').addEventListener('click', function (event) {
      var row = event.target.closest('tr[data-session]');
      if (row === null) return;
      var id = row.getAttribute('data-session');
      state.selected = id;
      // Shown at once from the page; later refreshes ask GET <path>/sessions/:id, on any page.
      state.detail = state.snapshot.sessions.find(function (s) { return s.sessionId === id; }) || null;
      renderSessions();
      renderDetail();
      $('#detail').scrollIntoView({ block: 'nearest' });
    });
    $('#detail-close').addEventListener('click', function () {
      state.selected = null;
      state.detail = null;
      renderSessions();
      renderDetail();
    });
    refresh(true);
    setInterval(refresh, REFRESH_MS);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
