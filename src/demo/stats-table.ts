import type { HfModelStats, HfPriceSources } from 'nestjs-hf-stats';

/** One column: its title, and how a row shows in it. The first column is left-aligned, the others right-aligned. */
interface Column<Row> {
  title: string;
  cell: (row: Row) => string;
}

export interface StatsRow {
  scope: string;
  stats: Pick<
    HfModelStats,
    | 'callCount'
    | 'textCount'
    | 'errorCount'
    | 'avgTimeMs'
    | 'minTimeMs'
    | 'maxTimeMs'
    | 'p95TimeMs'
    | 'inputTokens'
    | 'outputTokens'
    | 'attemptCount'
    | 'estimatedCostUsd'
  >;
}

export interface ModelRow {
  model: string;
  stats: HfModelStats;
}

function ms(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

/** Dollars to the micro-dollar: the example prices make single calls cost fractions of a cent. */
function usd(value: number | null): string {
  return value === null ? '-' : value.toFixed(6);
}

const STATS_COLUMNS: ReadonlyArray<Column<StatsRow>> = [
  { title: 'scope', cell: (row) => row.scope },
  { title: 'calls', cell: (row) => String(row.stats.callCount) },
  { title: 'texts', cell: (row) => String(row.stats.textCount) },
  { title: 'errors', cell: (row) => String(row.stats.errorCount) },
  { title: 'avg ms', cell: (row) => ms(row.stats.avgTimeMs) },
  { title: 'min ms', cell: (row) => ms(row.stats.minTimeMs) },
  { title: 'max ms', cell: (row) => ms(row.stats.maxTimeMs) },
  { title: 'p95 ms', cell: (row) => ms(row.stats.p95TimeMs) },
  { title: 'tokens in', cell: (row) => String(row.stats.inputTokens) },
  { title: 'tokens out', cell: (row) => String(row.stats.outputTokens) },
  { title: 'attempts', cell: (row) => String(row.stats.attemptCount) },
  { title: 'est. cost $', cell: (row) => usd(row.stats.estimatedCostUsd) },
];

const MODEL_COLUMNS: ReadonlyArray<Column<ModelRow>> = [
  { title: 'model', cell: (row) => row.model },
  { title: 'calls', cell: (row) => String(row.stats.callCount) },
  { title: 'texts', cell: (row) => String(row.stats.textCount) },
  { title: 'errors', cell: (row) => String(row.stats.errorCount) },
  { title: 'p95 ms', cell: (row) => ms(row.stats.p95TimeMs) },
  { title: 'tokens in', cell: (row) => String(row.stats.inputTokens) },
  { title: 'tokens out', cell: (row) => String(row.stats.outputTokens) },
  { title: 'attempts', cell: (row) => String(row.stats.attemptCount) },
  { title: 'compute ms', cell: (row) => row.stats.computeTimeMs.toFixed(0) },
  { title: 'est. cost $', cell: (row) => usd(row.stats.estimatedCostUsd) },
  { title: 'unpriced', cell: (row) => String(row.stats.unpricedCallCount) },
];

/** A plain-text table: the first column left-aligned, the figures right-aligned. */
function formatTable<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map(({ title }, index) => Math.max(title.length, ...cells.map((row) => row[index].length)));
  const line = (row: readonly string[]) =>
    row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(columns.map((column) => column.title)), rule, ...cells.map((row) => line(row))].join('\n');
}

/** One row per scope: counts, times, tokens, attempts and estimated cost. */
export function formatStatsTable(rows: readonly StatsRow[]): string {
  return formatTable(STATS_COLUMNS, rows);
}

/**
 * One row per name of a scope's dimension (`byModel`, or `byProvider` with `title` 'provider'), with compute
 * time and unpriced calls.
 */
export function formatModelTable(byModel: Readonly<Record<string, HfModelStats>>, title = 'model'): string {
  const rows = Object.entries(byModel)
    .map(([model, stats]) => ({ model, stats }))
    .toSorted((a, b) => a.model.localeCompare(b.model));
  return formatTable([{ ...MODEL_COLUMNS[0], title }, ...MODEL_COLUMNS.slice(1)], rows);
}

/** Where each dollar came from: `priceSources` as one line. */
export function formatPriceSources(sources: HfPriceSources): string {
  return Object.entries(sources)
    .map(([source, count]) => `${source} ${count}`)
    .join(', ');
}
