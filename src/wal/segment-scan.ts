// Scanning one segment file: every line checked in order (frame and CRC, JSON, version, LSN
// continuity), the first bad line classified (CRC-valid or not, anything valid after it), and
// re-reading the valid part for replay.
import { NautilusError } from '../errors.ts';
import { describeIoError, walError } from './errors.ts';
import { checkLine, fusedLines, MAX_LINE_BYTES, unframe, type WalRecord } from './format.ts';
import type { WalFileHandle, WalFs } from './fs.ts';
import { readLineBatches, readLines } from './lines.ts';

export interface WalSegmentInfo {
  readonly name: string;
  readonly path: string;
  /** The LSN in the file name: the first LSN the segment may hold. */
  readonly baseLsn: number;
  /** LSNs of the first and last record held (null when it holds none). */
  readonly firstLsn: number | null;
  readonly lastLsn: number | null;
  /** The LSN that follows this segment. */
  readonly nextLsn: number;
  readonly records: number;
  readonly lines: number;
  /** Fence lines (abandoned LSN ranges, written after an operator truncation). */
  readonly fences: number;
  /** Bytes of valid lines: the file's size once repaired. */
  readonly bytes: number;
}

export interface BadLine {
  readonly offset: number;
  readonly line: number;
  readonly reason: string;
  /** CRC-valid (so written that way, not torn). */
  readonly framed: boolean;
  readonly unsupportedVersion?: number;
}

export interface SegmentResult {
  readonly info: WalSegmentInfo;
  readonly size: number;
  readonly bad: BadLine | null;
  /** Some CRC-valid line follows the bad one. */
  readonly validAfter: boolean;
  /** Highest LSN readable at or after the bad line (for the lost range), or null. */
  readonly maxLsnAfter: number | null;
}

export function unreadable(path: string, err: unknown): NautilusError {
  return walError('NAU_WAL_UNREADABLE', `cannot read WAL ${path}: ${describeIoError(err)}`, {
    location: { file: path },
  });
}

/** Highest LSN a line's payload claims, without validating it (for lost-range reports). */
function claimedLastLsn(payload: Buffer): number | null {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { first?: unknown; recs?: unknown };
    if (typeof v.first !== 'number' || !Array.isArray(v.recs)) return null;
    return v.first + v.recs.length - 1;
  } catch {
    return null;
  }
}

const FUSED = 'a complete line whose newline is damaged, fused with the next line';

function lsnMismatch(start: number, expected: number): string {
  return start > expected
    ? `LSN gap: the line starts at LSN ${start}, expected ${expected} (LSNs ${expected}..${start - 1} are missing)`
    : `duplicate or out-of-order line: it starts at LSN ${start}, expected ${expected}`;
}

async function openRead(fs: WalFs, path: string): Promise<WalFileHandle> {
  try {
    return await fs.open(path, 'read');
  } catch (err) {
    throw unreadable(path, err);
  }
}

/**
 * Hears the records of the valid lines as a scan validates them, in LSN order, before the scan
 * has seen the rest of the WAL: what comes later may still be corrupt (then the scan throws),
 * so nothing heard may be made durable or visible until the scan returns.
 */
export type RecordsConsumer = (records: WalRecord[]) => void | Promise<void>;

/** Scans one segment from its start, expecting `expected` as the first LSN. */
export async function scanSegment(
  fs: WalFs,
  name: string,
  path: string,
  baseLsn: number,
  expected: number,
  onRecords: RecordsConsumer | null = null,
): Promise<SegmentResult> {
  const file = await openRead(fs, path);
  try {
    const size = await file.size();
    let next = expected;
    let firstLsn: number | null = null;
    let lastLsn: number | null = null;
    let records = 0;
    let lines = 0;
    let fences = 0;
    let validEnd = 0;
    let lineNo = 0;
    let bad: BadLine | null = null;
    let validAfter = false;
    let maxLsnAfter: number | null = null;
    const noteAfter = (lsn: number | null) => {
      if (lsn !== null && (maxLsnAfter === null || lsn > maxLsnAfter)) maxLsnAfter = lsn;
    };
    // Records of the valid lines of one batch, for onRecords.
    let valid: WalRecord[] = [];
    for await (const batch of readLineBatches(file, 0, size)) {
      for (const raw of batch) {
        lineNo++;
        if (bad !== null) {
          // Past the first bad line: is any CRC-valid line left (then it is not a torn tail)?
          if (!raw.terminated || raw.bytes === null) continue;
          const payload = unframe(raw.bytes);
          if (typeof payload === 'string') continue;
          validAfter = true;
          noteAfter(claimedLastLsn(payload));
          continue;
        }
        const at = { offset: raw.offset, line: lineNo };
        if (raw.bytes === null) {
          bad = {
            ...at,
            framed: false,
            reason: `line longer than the ${MAX_LINE_BYTES / 1024 / 1024} MiB limit`,
          };
          continue;
        }
        const check = raw.terminated ? checkLine(raw.bytes) : null;
        if (check?.ok !== true) {
          const fused = check?.ok === false && check.framed ? -1 : fusedLines(raw.bytes);
          if (fused >= 0) {
            // Two lines joined by a damaged LF: what each part claims bounds the lost range.
            bad = { ...at, framed: true, reason: FUSED };
            noteAfter(claimedLastLsn(raw.bytes.subarray(9, fused)));
            const second = unframe(raw.bytes.subarray(fused + 1));
            if (typeof second !== 'string') noteAfter(claimedLastLsn(second));
          } else if (check === null) {
            bad = { ...at, framed: false, reason: 'incomplete line (no newline at the end)' };
          } else if (!check.framed) {
            bad = { ...at, framed: false, reason: check.reason };
          } else {
            bad = {
              ...at,
              framed: true,
              reason: check.reason,
              ...(check.unsupportedVersion === undefined
                ? {}
                : { unsupportedVersion: check.unsupportedVersion }),
            };
            noteAfter(claimedLastLsn(raw.bytes.subarray(9)));
          }
          continue;
        }
        const decoded = check.line;
        if (decoded.start !== next) {
          bad = { ...at, framed: true, reason: lsnMismatch(decoded.start, next) };
          noteAfter(decoded.next - 1);
          continue;
        }
        lines++;
        if (decoded.fence) fences++;
        if (decoded.recs.length > 0) {
          firstLsn ??= decoded.start;
          lastLsn = decoded.next - 1;
          records += decoded.recs.length;
          if (onRecords !== null) for (const r of decoded.recs) valid.push(r);
        }
        next = decoded.next;
        validEnd = raw.offset + raw.length + 1;
      }
      if (valid.length > 0) {
        await (onRecords as RecordsConsumer)(valid);
        valid = [];
      }
    }
    const info: WalSegmentInfo = {
      name,
      path,
      baseLsn,
      firstLsn,
      lastLsn,
      nextLsn: next,
      records,
      lines,
      fences,
      bytes: validEnd,
    };
    return { info, size, bad, validAfter, maxLsnAfter };
  } catch (err) {
    if (err instanceof NautilusError) throw err;
    throw unreadable(path, err);
  } finally {
    await file.close().catch(() => {});
  }
}

/** Highest LSN that any CRC-valid line of a (later) segment claims, or its name implies. */
export async function maxClaimedLsn(fs: WalFs, path: string, baseLsn: number): Promise<number> {
  let max = baseLsn - 1;
  const file = await fs.open(path, 'read').catch(() => null);
  if (file === null) return max;
  try {
    for await (const raw of readLines(file, 0, await file.size())) {
      if (!raw.terminated || raw.bytes === null) continue;
      const payload = unframe(raw.bytes);
      if (typeof payload === 'string') continue;
      const lsn = claimedLastLsn(payload);
      if (lsn !== null && lsn > max) max = lsn;
    }
  } catch {
    // best effort: only used to describe what would be lost
  } finally {
    await file.close().catch(() => {});
  }
  return max;
}

export function emptyInfo(
  seg: { name: string; path: string; base: number },
  next: number,
): WalSegmentInfo {
  return {
    name: seg.name,
    path: seg.path,
    baseLsn: seg.base,
    firstLsn: null,
    lastLsn: null,
    nextLsn: next,
    records: 0,
    lines: 0,
    fences: 0,
    bytes: 0,
  };
}

/** Re-reads the scanned (valid) part of each segment; any change since the scan is refused. */
export async function* readRecords(
  fs: WalFs,
  segments: readonly WalSegmentInfo[],
  afterLsn: number,
): AsyncGenerator<WalRecord> {
  for await (const batch of readRecordBatches(fs, segments, afterLsn)) yield* batch;
}

/** Records per batch of readRecordBatches (a line may overshoot it; never empty). */
const BATCH_RECORDS = 512;

/**
 * readRecords in batches: a consumer of 100,000 records pays for a few hundred promises, not
 * one per record (recovery's replay loop is otherwise synchronous).
 */
export async function* readRecordBatches(
  fs: WalFs,
  segments: readonly WalSegmentInfo[],
  afterLsn: number,
): AsyncGenerator<WalRecord[]> {
  let batch: WalRecord[] = [];
  for (const seg of segments) {
    if (seg.nextLsn - 1 <= afterLsn || seg.records === 0) continue;
    const file = await openRead(fs, seg.path);
    try {
      let next = seg.baseLsn;
      let lineNo = 0;
      for await (const lines of readLineBatches(file, 0, seg.bytes))
        for (const raw of lines) {
          lineNo++;
          const check = raw.bytes !== null && raw.terminated ? checkLine(raw.bytes) : null;
          const problem =
            check === null
              ? 'incomplete line'
              : !check.ok
                ? check.reason
                : check.line.start !== next
                  ? lsnMismatch(check.line.start, next)
                  : null;
          if (problem !== null || check === null || !check.ok) {
            throw walError(
              'NAU_WAL_CORRUPT',
              `WAL segment ${seg.path} changed since it was scanned: line ${lineNo} (byte ${raw.offset}): ${problem}`,
              { location: { file: seg.path, line: lineNo }, offset: raw.offset },
            );
          }
          next = check.line.next;
          if (check.line.next - 1 <= afterLsn) continue;
          for (const rec of check.line.recs) if (rec.lsn > afterLsn) batch.push(rec);
          if (batch.length >= BATCH_RECORDS) {
            yield batch;
            batch = [];
          }
        }
    } catch (err) {
      if (err instanceof NautilusError) throw err;
      throw unreadable(seg.path, err);
    } finally {
      await file.close().catch(() => {});
    }
  }
  if (batch.length > 0) yield batch;
}
