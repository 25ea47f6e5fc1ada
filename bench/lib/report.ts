import { fmt, fmtFigure, type Figure } from './stats.ts';

/** One line of the table: a product figure, and the anchor it is read against, measured in the same rounds. */
export interface Row {
  /** Item of the issue (1–7) or limit section it belongs to. */
  item: string;
  what: string;
  unit: string;
  product: Figure;
  anchor?: { name: string; figure: Figure; unit?: string };
  /** product / anchor, one ratio per round, summarized. */
  ratio?: Figure;
  note?: string;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

/** One limit of PERFORMANCE.md, judged on a ratio from this run. Reported, never asserted. */
export interface LimitCheck {
  id: string;
  text: string;
  op: '<=' | '>=';
  bound: number;
  measured?: number;
  verdict: Verdict;
  detail: string;
}

export interface Results {
  rows: Row[];
  limits: LimitCheck[];
  notes: string[];
  errors: Array<{ section: string; message: string }>;
}

export const newResults = (): Results => ({ rows: [], limits: [], notes: [], errors: [] });

/** Judges `measured` against `op bound`; a miss says by how much the ratio has to move. */
export function checkLimit(id: string, text: string, op: '<=' | '>=', bound: number, measured: number | undefined, unavailable?: string): LimitCheck {
  if (measured === undefined || !Number.isFinite(measured)) {
    return { id, text, op, bound, verdict: 'n/a', detail: unavailable ?? 'not measured' };
  }
  const pass = op === '<=' ? measured <= bound : measured >= bound;
  const shown = `${fmt(measured)}× (budget ${op === '<=' ? '≤' : '≥'} ${bound}×)`;
  if (pass) return { id, text, op, bound, measured, verdict: 'PASS', detail: shown };
  const how =
    op === '<='
      ? `${Math.round((measured / bound - 1) * 100)} % over`
      : `${Math.round((1 - measured / bound) * 100)} % below (needs ${fmt(bound / measured)}× more)`;
  return { id, text, op, bound, measured, verdict: 'MISS', detail: `${shown}: ${how}` };
}

/** Row notes become numbered footnotes under the table, so the table stays narrow enough to read. */
function footnoted(rows: Row[]): { cells: string[][]; footnotes: string[] } {
  const footnotes: string[] = [];
  const cells = rows.map((row) => {
    const c = rowCells(row);
    if (row.note) {
      footnotes.push(`[${footnotes.length + 1}] ${row.note}`);
      c[1] = `${c[1]} [${footnotes.length}]`;
    }
    return c;
  });
  return { cells, footnotes };
}

const rowCells = (row: Row): string[] => [
  row.item,
  row.what,
  fmtFigure(row.product, row.unit),
  row.anchor?.name ?? '',
  row.anchor ? fmtFigure(row.anchor.figure, row.anchor.unit ?? row.unit) : '',
  row.ratio ? `${fmtFigure(row.ratio)}×` : '',
];

const HEAD = ['#', 'Measurement', 'Figure', 'Anchor (same run)', 'Anchor figure', 'Ratio'];
const LIMIT_HEAD = ['Limit', 'Budget (PERFORMANCE.md)', 'Measured', 'Verdict'];
const limitCells = (l: LimitCheck): string[] => [l.id, l.text, l.detail, l.verdict];

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function toText(results: Results): string {
  const { cells, footnotes } = footnoted(results.rows);
  const parts = [textTable(HEAD, cells), '', ...footnotes, '', textTable(LIMIT_HEAD, results.limits.map(limitCells))];
  if (results.notes.length) parts.push('', ...results.notes.map((n) => `- ${n}`));
  if (results.errors.length) parts.push('', ...results.errors.map((e) => `FAILED ${e.section}: ${e.message}`));
  return parts.join('\n');
}

export function toMarkdown(results: Results, machine: string, when: string): string {
  const table = footnoted(results.rows);
  const parts = [
    `Measured ${when} on ${machine}. Figures are medians (min–max) over the rounds; each ratio is taken round by round against its anchor, measured alternately in the same run.`,
    '',
    markdownTable(HEAD, table.cells),
    '',
    ...table.footnotes.map((f) => `${f}  `),
    '',
    markdownTable(LIMIT_HEAD, results.limits.map(limitCells)),
  ];
  if (results.notes.length) parts.push('', ...results.notes.map((n) => `- ${n}`));
  if (results.errors.length) parts.push('', ...results.errors.map((e) => `- FAILED ${e.section}: ${e.message}`));
  return `${parts.join('\n')}\n`;
}
