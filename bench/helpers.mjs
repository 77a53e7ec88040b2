// What the benchmarks share that loads nothing of the library: a process that imports only this (the real path's
// uninstrumented baseline and its peers) has no nestjs-cls in it, and so no AsyncLocalStorage of the module's
// (nestjs-cls enables its own on import, and on Node 20 an enabled one adds work to every promise).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory for a log file; removed by `removeDir`. */
export function tempDir(prefix = 'hf-stats-bench-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** The lines of every log file in `dir` (the dated files the `path` symlink points at), symlink skipped. */
export function logLines(dir) {
  const lines = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.log')) {
      const text = readFileSync(join(dir, entry.name), 'utf8');
      for (const line of text.split('\n')) {
        if (line !== '') {
          lines.push(line);
        }
      }
    }
  }
  return lines;
}

/** Session ids as a caller would make them (36-character UUIDs), created when first used. */
export function sessionId(index) {
  return `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

export function median(values) {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
