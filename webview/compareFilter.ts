/**
 * The comparison's filter box (pure, unit-tested). Terms separated by spaces must all hold:
 * - plain text matches a run when any of its cells contains it (case-insensitive);
 * - `column:value` (or `=`) keeps runs whose cell is that value: text exactly, case-insensitive,
 *   `*` standing for any characters (`student:cnn*`); numbers as numbers (`seed:1`, `T:4`);
 * - `column>value`, `>=`, `<`, `<=`, `!=` compare numbers as the table shows them: accuracies
 *   as a fraction or in percent (`student>0.8` = `student>80`), gain in points, time in seconds,
 *   params with k/M;
 * - a leading `-` keeps the runs a term does not match; `"..."` quotes spaces.
 * A term naming no column, or comparing with something that is not a number, is reported and
 * left out rather than hiding every run.
 */
import type { CompareRun } from '../src/protocol/webview';
import { COLUMNS, formatCell, present, type Column, type ColumnKind } from './compareTableModel';

export type FilterOp = ':' | '=' | '!=' | '>' | '>=' | '<' | '<=';

export type FilterTerm =
  | { kind: 'text'; text: string; negate: boolean }
  | { kind: 'column'; column: string; op: FilterOp; value: string; number?: number; negate: boolean };

export interface ParsedFilter {
  terms: FilterTerm[];
  /** One line per term left out (`no column "foo"`). */
  errors: string[];
}

/** Splits on spaces outside double quotes; the quotes themselves are dropped. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out.filter((t) => t !== '' && t !== '-');
}

const ORDER_OPS = new Set<FilterOp>(['>', '>=', '<', '<=']);

/** The column a filter name means: its key or label (any case), else an alias; numeric columns only for comparisons. */
export function filterColumn(name: string, numeric: boolean): Column | undefined {
  const n = name.toLowerCase();
  const candidates = COLUMNS.filter((c) => !numeric || c.kind !== 'text');
  return candidates.find((c) => c.key.toLowerCase() === n || c.label.toLowerCase() === n) ?? candidates.find((c) => c.aliases?.includes(n));
}

/** A number typed for a column of this kind, in the column's own unit; undefined when it is none. */
export function filterNumber(kind: ColumnKind, text: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(%|k|m|min|s|h)?$/i.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (!Number.isFinite(v)) return undefined;
  switch (kind) {
    case 'pct':
      if (unit && unit !== '%') return undefined;
      return unit === '%' || Math.abs(v) > 1 ? v / 100 : v;
    case 'points':
      return unit ? undefined : v / 100;
    case 'params':
      return unit === 'k' ? v * 1e3 : unit === 'm' ? v * 1e6 : unit ? undefined : v;
    case 'time':
      return unit === 'min' || unit === 'm' ? v * 60 : unit === 'h' ? v * 3600 : unit === '' || unit === 's' ? v : undefined;
    default:
      return unit ? undefined : v;
  }
}

export function parseFilter(text: string): ParsedFilter {
  const terms: FilterTerm[] = [];
  const errors: string[] = [];
  for (const token of tokenize(text)) {
    const negate = token.startsWith('-') && token.length > 1;
    const body = negate ? token.slice(1) : token;
    const m = /^([A-Za-z][\w.]*)(>=|<=|!=|:|=|>|<)(.*)$/.exec(body);
    if (!m) {
      terms.push({ kind: 'text', text: body.toLowerCase(), negate });
      continue;
    }
    const [, name, opText, value] = m as unknown as [string, string, FilterOp, string];
    const op: FilterOp = opText;
    const col = filterColumn(name, ORDER_OPS.has(op));
    if (!col) {
      errors.push(`"${body}": no ${ORDER_OPS.has(op) ? 'numeric ' : ''}column "${name}"`);
      continue;
    }
    if (value === '') {
      errors.push(`"${body}": no value after ${op}`);
      continue;
    }
    if (col.kind === 'text') {
      terms.push({ kind: 'column', column: col.key, op, value: value.toLowerCase(), negate });
      continue;
    }
    const number = filterNumber(col.kind, value);
    if (number === undefined) {
      errors.push(`"${body}": ${col.key} takes a number, not "${value}"`);
      continue;
    }
    terms.push({ kind: 'column', column: col.key, op, value, number, negate });
  }
  return { terms, errors };
}

function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

/** Equal up to float noise relative to the number (0.1 + 0.2 is 0.3 here). */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function termHolds(run: CompareRun, term: FilterTerm): boolean {
  if (term.kind === 'text') {
    return COLUMNS.some((c) => {
      const v = c.value(run);
      if (!present(v)) return false;
      return String(v).toLowerCase().includes(term.text) || formatCell(c.kind, v).toLowerCase().includes(term.text);
    });
  }
  const col = COLUMNS.find((c) => c.key === term.column) as Column;
  const v = col.value(run);
  if (!present(v)) return term.op === '!=';
  if (term.number === undefined) {
    const same = globMatch(term.value, String(v).toLowerCase());
    return term.op === '!=' ? !same : same;
  }
  if (typeof v !== 'number') return false;
  const n = term.number;
  switch (term.op) {
    case '>':
      return v > n && !sameNumber(v, n);
    case '>=':
      return v > n || sameNumber(v, n);
    case '<':
      return v < n && !sameNumber(v, n);
    case '<=':
      return v < n || sameNumber(v, n);
    case '!=':
      return !sameNumber(v, n);
    default:
      return sameNumber(v, n);
  }
}

/** Whether a run passes every term. */
export function matchesFilter(run: CompareRun, filter: ParsedFilter): boolean {
  return filter.terms.every((t) => termHolds(run, t) !== t.negate);
}

/** Indices of the runs the filter text lets through (in the host's order), and the terms it left out. */
export function filterRuns(runs: readonly CompareRun[], text: string): { rows: number[]; errors: string[] } {
  const filter = parseFilter(text);
  return { rows: runs.flatMap((r, i) => (matchesFilter(r, filter) ? [i] : [])), errors: filter.errors };
}

/** The filter box's tooltip: its syntax and the names of the columns these runs have. */
export function filterHelp(columns: readonly Column[]): string {
  const names = columns.map((c) => {
    const other = [c.label.toLowerCase() !== c.key.toLowerCase() && !c.label.includes(' ') ? c.label : undefined, ...(c.aliases ?? [])].filter(Boolean);
    return `${c.key}${other.length ? ` (${other.join(', ')})` : ''}`;
  });
  return [
    'Filter the runs; every term must hold:',
    '  text: any cell contains it',
    '  column:value: that value (text exactly, * for any characters)',
    '  column>value, >=, <, <=, !=: numbers (accuracies as 0.8 or 80, gain in points, time in seconds)',
    '  -term: runs the term does not match; "quotes" keep spaces',
    '  student>80 and teacher>80 compare accuracies; student:cnn* the model',
    `Columns: ${names.join(', ')}`,
  ].join('\n');
}
