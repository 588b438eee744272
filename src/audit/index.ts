// Append-only, hash-chained audit log (docs/audit.md).
export type { AuditProblem } from './chain.ts';
export type {
  AuditDeniedSource,
  AuditDurations,
  AuditEntry,
  AuditEvent,
  AuditFailedSource,
  AuditIntentSummary,
  AuditLineHeader,
  AuditOutcome,
  RequestAuditEvent,
  SessionClosedAuditEvent,
} from './entry.ts';
export { AUDIT_SCHEMA_VERSION, GENESIS_HASH } from './entry.ts';
export type { AuditFileHandle, AuditFs } from './fs.ts';
export { nodeAuditFs } from './fs.ts';
export { hashLine } from './line.ts';
export type { AppendResult, AuditLogOptions } from './log.ts';
export { AuditLog } from './log.ts';
export type { VerifyOnOpen } from './tail.ts';
export type { AuditVerifyResult } from './verify.ts';
export { verifyAuditFile } from './verify.ts';
