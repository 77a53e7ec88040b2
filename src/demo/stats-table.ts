import type { HfStats } from 'nestjs-hf-stats';

export interface StatsRow {
  scope: string;
  stats: Pick<HfStats, 'callCount' | 'textCount' | 'errorCount' | 'avgTimeMs' | 'minTimeMs' | 'maxTimeMs'>;
}

const COLUMNS = ['scope', 'calls', 'texts', 'errors', 'avg ms', 'min ms', 'max ms'] as const;

function ms(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

/** A plain-text table: the scope left-aligned, the figures right-aligned. */
export function formatStatsTable(rows: readonly StatsRow[]): string {
  const cells = rows.map(({ scope, stats }) => [
    scope,
    String(stats.callCount),
    String(stats.textCount),
    String(stats.errorCount),
    ms(stats.avgTimeMs),
    ms(stats.minTimeMs),
    ms(stats.maxTimeMs),
  ]);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column].length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(COLUMNS), rule, ...cells.map(line)].join('\n');
}
