import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** How a value is judged: at most `limit`, or equal to it to two decimals. */
export interface Target {
  op: '<=' | '=';
  limit: number;
  unit: string;
}

/** One line of the results table. `value` is null when the measurement itself failed. */
export interface Row {
  id: string;
  measure: string;
  value: number | null;
  target: Target;
  /** Absolute figures behind the value (medians, counts), for a reader who doubts the ratio. */
  detail: string;
}

export type Verdict = 'met' | 'missed' | 'error';

export function verdict(row: Row): Verdict {
  if (row.value === null || !Number.isFinite(row.value)) return 'error';
  const { op, limit } = row.target;
  const ok = op === '<=' ? row.value <= limit : Math.abs(row.value - limit) < 0.005;
  return ok ? 'met' : 'missed';
}

function formatValue(value: number | null, unit: string, limit?: number): string {
  if (value === null || !Number.isFinite(value)) return '–';
  // A third decimal where two would print the limit itself, so "1.10 missed ≤ 1.10" cannot happen.
  const digits = limit !== undefined && value !== limit && value.toFixed(2) === limit.toFixed(2) ? 3 : 2;
  return unit === '' ? value.toFixed(digits) : `${value.toFixed(digits)} ${unit}`;
}

function formatTarget({ op, limit, unit }: Target): string {
  if (!Number.isFinite(limit)) return '–';
  return `${op === '<=' ? '≤' : '='} ${formatValue(limit, unit)}`;
}

/** The row standing in for a phase that threw, so the table still shows what was not measured. */
export function errorRow(id: string, measure: string, error: unknown): Row {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id,
    measure,
    value: null,
    target: { op: '<=', limit: Number.NaN, unit: '' },
    detail: `error: ${message.split('\n')[0]}`,
  };
}

export function markdownTable(rows: readonly Row[]): string {
  const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = ['| # | measure | value | target | result | detail |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    const v = verdict(row);
    const result = v === 'met' ? 'met' : v === 'missed' ? '**missed**' : '**error**';
    lines.push(
      `| ${row.id} | ${escapeCell(row.measure)} | ${formatValue(row.value, row.target.unit, row.target.limit)} | ${formatTarget(row.target)} | ${result} | ${escapeCell(row.detail)} |`,
    );
  }
  return lines.join('\n');
}

/** Writes the machine-readable results (gitignored: `bench/results/*.json`). */
export function writeResults(path: string, rows: readonly Row[], extra: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  const body = { ...extra, rows: rows.map((row) => ({ ...row, verdict: verdict(row) })) };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}
