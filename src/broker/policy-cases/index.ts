// Policy cases: `nautilus rules test` as a library (see docs/rules.md, "Testing a policy").
export { compareCase } from './compare.ts';
export { formatCasesRun, type ReportOptions } from './report.ts';
export {
  type CaseObservation,
  type CaseResult,
  type CasesRun,
  casesContext,
  runCase,
  runCases,
  runPolicyCases,
  type TraceEntry,
} from './run.ts';
