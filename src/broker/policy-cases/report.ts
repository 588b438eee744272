// The text `nautilus rules test` prints: one line per case, and for a failing case (every case
// with --verbose) the differences, the decisions, the rule trace with fact ids and those facts.
import { formatErrorLocation } from '../../errors.ts';
import type { CaseResult, CasesRun, TraceEntry } from './run.ts';

export interface ReportOptions {
  /** Print decisions and trace for passing cases too. */
  readonly verbose?: boolean;
}

export function formatCasesRun(run: CasesRun, options: ReportOptions = {}): string {
  const lines: string[] = [];
  if (run.errors.length > 0) {
    for (const e of run.errors) lines.push(`[${e.code}] ${e.message}`);
    lines.push(`${run.errors.length} error(s): no case ran`);
    return `${lines.join('\n')}\n`;
  }
  const width = String(run.results.length).length;
  run.results.forEach((r, i) => {
    const n = String(i + 1).padStart(width);
    const at = formatErrorLocation(r.case.loc);
    lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${n}  ${r.case.name}${r.ok ? '' : `  (${at})`}`);
    if (!r.ok || options.verbose) lines.push(...details(r, options.verbose === true));
  });
  lines.push(
    `${run.results.length} case(s): ${run.passed} ok, ${run.failed} failed (${run.casesFile})`,
  );
  return `${lines.join('\n')}\n`;
}

const INDENT = '        ';

function details(r: CaseResult, verbose: boolean): string[] {
  const out: string[] = [];
  for (const d of r.differences) out.push(`${INDENT}${d}`);
  const o = r.observed?.outcome;
  if (o !== undefined && (verbose || !r.ok)) {
    out.push(`${INDENT}decisions:`);
    for (const v of o.routed) out.push(`${INDENT}  routed   ${v.sourceId}  ${v.rule}: ${v.reason}`);
    for (const v of o.denied) out.push(`${INDENT}  denied   ${v.sourceId}  ${v.rule}: ${v.reason}`);
    for (const v of o.skipped)
      out.push(`${INDENT}  skipped  ${v.sourceId}  ${v.rule || '(no rule)'}: ${v.reason}`);
    if (r.observed && r.observed.flags.length > 0)
      out.push(`${INDENT}  flags    ${r.observed.flags.join(', ')}`);
  }
  out.push(...traceLines(r.trace, r.facts));
  return out;
}

function traceLines(trace: readonly TraceEntry[], facts: ReadonlyMap<number, string>): string[] {
  if (trace.length === 0) return [`${INDENT}rule trace: no rule fired`];
  const out = [`${INDENT}rule trace (in firing order; - is a not/exists pattern):`];
  const width = Math.max(...trace.map((t) => t.rule.length));
  const used = new Set<number>();
  trace.forEach((t, i) => {
    const ids = t.facts.map((f) => (f === null ? '-' : `f-${f}`)).join(' ');
    for (const f of t.facts) if (f !== null) used.add(f);
    out.push(
      `${INDENT}  ${String(i + 1).padStart(3)}  ${t.phase.padEnd(7)}  ${t.rule.padEnd(width)}  ${ids}`,
    );
  });
  out.push(`${INDENT}facts:`);
  for (const id of [...used].sort((a, b) => a - b))
    out.push(`${INDENT}  f-${String(id).padEnd(4)} ${facts.get(id) ?? '(not recorded)'}`);
  return out;
}
