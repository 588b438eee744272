// Checks lines against the hash chain: each line's `prev_hash` is the SHA-256 of the previous
// line's bytes and its `seq` follows the previous one. Used by `verifyAuditFile` (whole file)
// and by `AuditLog.open` (the last lines only).
import { AUDIT_SCHEMA_VERSION, GENESIS_HASH } from './entry.ts';
import { hashLine } from './line.ts';
import type { RawLine } from './read-lines.ts';

export interface AuditProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly problem: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ChainChecker {
  readonly problems: AuditProblem[] = [];
  /** Complete (newline-terminated) lines seen. */
  entries = 0;
  /** `seq` of the last line, when it could be read. */
  lastSeq: number | null = null;
  /** Hash of the last complete line's bytes. */
  lastHash: string | null = null;

  /**
   * `prevHash`/`prevSeq` describe the line before the first one fed: `GENESIS_HASH`/0 for a whole
   * file, null when unknown (checking starts mid-file, so the first line's links are not checked).
   */
  constructor(
    private prevHash: string | null = GENESIS_HASH,
    private prevSeq: number | null = 0,
  ) {}

  check(raw: RawLine): void {
    const { line } = raw;
    if (!raw.terminated) {
      this.problems.push({
        line,
        problem: `torn tail: ${raw.bytes.length} bytes after the last newline (an append that never completed)`,
      });
      return;
    }
    this.entries++;
    const hash = hashLine(raw.bytes);
    const seq = this.checkFields(raw);
    this.prevSeq = seq ?? (this.prevSeq === null ? null : this.prevSeq + 1);
    this.prevHash = hash;
    this.lastSeq = seq;
    this.lastHash = hash;
  }

  /** Reports problems of one complete line; returns its `seq` when readable. */
  private checkFields(raw: RawLine): number | null {
    const { line } = raw;
    const report = (problem: string) => this.problems.push({ line, problem });
    let value: unknown;
    try {
      value = JSON.parse(raw.bytes.toString('utf8'));
    } catch (err) {
      report(`not valid JSON (${(err as Error).message})`);
      return null;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      report('not a JSON object');
      return null;
    }
    const e = value as Record<string, unknown>;
    if (e.v !== AUDIT_SCHEMA_VERSION) report(`unsupported schema version v=${JSON.stringify(e.v)}`);
    if (typeof e.ts !== 'string') report('missing or invalid ts');
    if (typeof e.kind !== 'string' || e.kind === '') report('missing or invalid kind');

    const seq = Number.isSafeInteger(e.seq) && (e.seq as number) > 0 ? (e.seq as number) : null;
    if (seq === null) report(`missing or invalid seq ${JSON.stringify(e.seq)}`);
    else if (this.prevSeq !== null && seq !== this.prevSeq + 1) {
      report(
        this.prevSeq === 0
          ? `seq ${seq} on the first line, expected 1`
          : `seq ${seq} does not follow seq ${this.prevSeq} of line ${line - 1} (lines removed or reordered)`,
      );
    }

    const prev = e.prev_hash;
    if (typeof prev !== 'string' || !HEX64.test(prev)) {
      report('missing or invalid prev_hash (64 lowercase hex digits expected)');
    } else if (this.prevHash !== null && prev !== this.prevHash) {
      report(
        this.prevHash === GENESIS_HASH && line === 1
          ? 'prev_hash of the first line is not the genesis hash (64 zeros)'
          : `prev_hash does not match the SHA-256 of line ${line - 1} (that line was edited, or lines were removed or reordered here)`,
      );
    }
    return seq;
  }
}
