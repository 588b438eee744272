// Whole-file verification of an audit log's hash chain (`nautilus audit verify`).
import { promises as fsp } from 'node:fs';
import { NautilusError } from '../errors.ts';
import { type AuditProblem, ChainChecker } from './chain.ts';
import { readLines } from './read-lines.ts';

export interface AuditVerifyResult {
  /** True when the chain is intact and nothing else is wrong. */
  readonly ok: boolean;
  /** Complete (newline-terminated) lines. */
  readonly entries: number;
  readonly problems: readonly AuditProblem[];
  /** `seq` and hash of the last complete line (null for an empty file or an unreadable line). */
  readonly lastSeq: number | null;
  readonly lastHash: string | null;
}

/**
 * Reads the file line by line and checks every line's JSON, header fields, `seq` continuity
 * and `prev_hash` link. Throws NAU_AUDIT_UNREADABLE when the file cannot be read at all.
 */
export async function verifyAuditFile(path: string): Promise<AuditVerifyResult> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
  try {
    const checker = new ChainChecker();
    for await (const raw of readLines(
      async (b, o, l, p) => (await fh.read(b, o, l, p)).bytesRead,
    )) {
      checker.check(raw);
    }
    return {
      ok: checker.problems.length === 0,
      entries: checker.entries,
      problems: checker.problems,
      lastSeq: checker.lastSeq,
      lastHash: checker.lastHash,
    };
  } catch (err) {
    throw unreadable(path, err);
  } finally {
    await fh.close();
  }
}

function unreadable(path: string, err: unknown): NautilusError {
  return new NautilusError(
    'NAU_AUDIT_UNREADABLE',
    `cannot read audit log ${path}: ${(err as Error).message}`,
    400,
    { location: { file: path }, cause: err },
  );
}
