// Recovery scan: validates every line of every segment (frame and CRC, JSON, version, LSN
// continuity within and across segments), repairs what a crash legitimately leaves behind and
// refuses everything else.
//
// - Torn tail: the first bad line of the newest segment is not CRC-valid and no CRC-valid line
//   follows it in that file. That is what an interrupted write leaves (a line is written and
//   fdatasynced as one unit, and only the newest segment is ever written), so the tail is cut
//   off: its records were never acknowledged.
// - Anything else (a bad line followed by valid ones, a bad line in an older segment, a
//   CRC-valid line that is wrong inside, a gap between segments) is corruption: NAU_WAL_CORRUPT
//   names the segment, byte offset and LSN range. Repair mode `truncate-at-first-bad` (an
//   explicit operator choice) cuts there instead, keeps the cut bytes and later segments as
//   `*.broken-<ms>` files, reports the LSN range lost and writes a fence past it (those LSNs are
//   never handed out again: session rows may record them).
// - An unknown format version is never repaired (NAU_WAL_UNSUPPORTED_VERSION): a newer Nautilus
//   wrote it.
// Scanning is idempotent: a repaired WAL scans clean.
import { join } from 'node:path';
import { walError } from './errors.ts';
import { copyRange, freeName, truncateFile } from './file-ops.ts';
import { fencePayload, frameLine, parseSegmentName, type WalRecord } from './format.ts';
import { nodeWalFs, type WalFs } from './fs.ts';
import { acquireWalLock, LOCK_FILE } from './lock.ts';
import {
  emptyInfo,
  maxClaimedLsn,
  type RecordsConsumer,
  readRecords,
  type SegmentResult,
  scanSegment,
  unreadable,
  type WalSegmentInfo,
} from './segment-scan.ts';

export type { WalSegmentInfo } from './segment-scan.ts';

export type WalRepairMode = 'none' | 'truncate-tail' | 'truncate-at-first-bad';

export interface WalScanOptions {
  /**
   * `truncate-tail` (default): cut a torn tail, refuse corruption. `truncate-at-first-bad`: also
   * cut at the first bad record (operator option; loses the records after it). `none`: read
   * only (a torn tail is reported, not cut).
   */
  readonly repair?: WalRepairMode;
  readonly fs?: WalFs;
  /** Clock for the `*.broken-<ms>` names. */
  readonly now?: () => number;
  /** How the refusal message tells the operator to truncate (e.g. the broker's CLI flag). */
  readonly repairHint?: string;
  /** Scan only this segment file of the directory (continuity with others is not checked). */
  readonly segment?: string;
  /**
   * Hears every record as the scan validates it (see RecordsConsumer: the WAL may still turn
   * out corrupt further on). Recovery replays from here, so each record is read and parsed once.
   */
  readonly onRecords?: RecordsConsumer;
}

export interface WalRepair {
  readonly kind: 'torn-tail' | 'truncated-at-first-bad';
  readonly segment: string;
  readonly offset: number;
  readonly line: number;
  readonly reason: string;
  readonly bytesRemoved: number;
  /** truncated-at-first-bad: the LSNs lost (`to` null when it cannot be read any more). */
  readonly lost: { readonly from: number; readonly to: number | null } | null;
  /** Files the removed bytes and segments were kept in. */
  readonly keptAs: readonly string[];
  /** False in repair mode `none`: reported, the file left as it is. */
  readonly applied: boolean;
}

export interface WalScan {
  readonly dir: string;
  readonly segments: readonly WalSegmentInfo[];
  readonly firstLsn: number | null;
  readonly lastLsn: number | null;
  /** The next LSN to assign (1 for an empty WAL). */
  readonly nextLsn: number;
  readonly recordCount: number;
  readonly bytes: number;
  readonly repairs: readonly WalRepair[];
  /** Names in the directory that are neither segments nor the lock (`*.broken-*`, …). */
  readonly otherFiles: readonly string[];
  readonly durationMs: number;
  /**
   * The records in LSN order, read again from disk (the WAL can be far larger than memory).
   * `afterLsn`: only records above it. Consume before any checkpoint deletes segments.
   */
  readRecords(options?: { readonly afterLsn?: number }): AsyncGenerator<WalRecord>;
}

/** Scans a WAL directory (see the file comment). Repairing modes take the directory's lock. */
export async function scanWal(dir: string, options: WalScanOptions = {}): Promise<WalScan> {
  const fs = options.fs ?? nodeWalFs;
  if ((options.repair ?? 'truncate-tail') === 'none') return scanLocked(dir, options);
  const lock = await acquireWalLock(fs, dir);
  try {
    return await scanLocked(dir, options);
  } finally {
    await lock.release();
  }
}

/** scanWal for a caller that already holds the lock (the writer). */
export async function scanLocked(dir: string, options: WalScanOptions = {}): Promise<WalScan> {
  const started = performance.now();
  const fs = options.fs ?? nodeWalFs;
  const mode = options.repair ?? 'truncate-tail';
  const now = options.now ?? Date.now;
  const hint =
    options.repairHint ?? "start recovery with the repair option 'truncate-at-first-bad'";
  if (options.segment !== undefined && mode !== 'none') {
    // One segment alone cannot tell a torn tail (newest segment) from corruption (older one).
    throw walError('NAU_WAL_BAD_OPTION', 'scanning a single segment is read-only (repair: none)');
  }
  let names: string[];
  try {
    names = await fs.list(dir);
  } catch (err) {
    throw unreadable(dir, err);
  }
  if (mode !== 'none') {
    // Leftovers of an interrupted operator repair (the segment itself is still in place).
    for (const n of names.filter((n) => /^wal-\d{20}\.jsonl\.tmp$/.test(n))) {
      await fs.unlink(join(dir, n)).catch(() => {});
    }
    names = names.filter((n) => !n.endsWith('.jsonl.tmp'));
  }
  const segs = names
    .map((name) => ({ name, base: parseSegmentName(name), path: join(dir, name) }))
    .filter((s): s is { name: string; base: number; path: string } => s.base !== null)
    .filter((s) => options.segment === undefined || s.name === options.segment)
    .sort((a, b) => a.base - b.base);
  const isOther = (n: string) => parseSegmentName(n) === null && !n.startsWith(LOCK_FILE);
  const infos: WalSegmentInfo[] = [];
  const repairs: WalRepair[] = [];
  let expected: number | null = null;

  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const isLast = i === segs.length - 1;
    let result: SegmentResult;
    const gap = expected !== null && seg.base !== expected;
    if (gap) {
      // A segment is missing (or two overlap): the damage starts at this segment's first byte.
      const prevEnd = (expected as number) - 1;
      result = {
        info: emptyInfo(seg, expected as number),
        size: 0,
        bad: {
          offset: 0,
          line: 1,
          framed: true,
          reason: `the segment's name says it starts at LSN ${seg.base}, but the previous segment ends at LSN ${prevEnd}${seg.base > prevEnd + 1 ? ` (LSNs ${prevEnd + 1}..${seg.base - 1} are missing)` : ' (overlapping LSNs)'}`,
        },
        validAfter: true,
        maxLsnAfter: null,
      };
    } else {
      result = await scanSegment(
        fs,
        seg.name,
        seg.path,
        seg.base,
        expected ?? seg.base,
        options.onRecords ?? null,
      );
    }
    const { bad } = result;
    if (bad === null) {
      infos.push(result.info);
      expected = result.info.nextLsn;
      continue;
    }
    const from = result.info.nextLsn;
    if (bad.unsupportedVersion !== undefined) {
      throw walError(
        'NAU_WAL_UNSUPPORTED_VERSION',
        `WAL segment ${seg.path}, line ${bad.line} (byte ${bad.offset}): ${bad.reason}; upgrade Nautilus to read this WAL (records from LSN ${from} on)`,
        { location: { file: seg.path, line: bad.line }, offset: bad.offset, lsn: from },
      );
    }
    if (!bad.framed && !result.validAfter && isLast) {
      // Torn tail: an interrupted, never acknowledged write.
      if (mode !== 'none') await truncateFile(fs, seg.path, bad.offset);
      repairs.push({
        kind: 'torn-tail',
        segment: seg.path,
        offset: bad.offset,
        line: bad.line,
        reason: bad.reason,
        bytesRemoved: result.size - bad.offset,
        lost: null,
        keptAs: [],
        applied: mode !== 'none',
      });
      infos.push(result.info);
      expected = result.info.nextLsn;
      break;
    }

    // Corruption. What follows the damage (and would be lost by cutting there):
    const aside = gap ? segs.slice(i) : segs.slice(i + 1);
    let to = result.maxLsnAfter ?? from - 1;
    for (const later of aside) to = Math.max(to, await maxClaimedLsn(fs, later.path, later.base));
    const lost = { from, to: to >= from ? to : null };
    const range = `LSNs ${from}..${lost.to ?? '(unknown)'}`;
    if (mode !== 'truncate-at-first-bad') {
      throw walError(
        'NAU_WAL_CORRUPT',
        `WAL segment ${seg.path} is corrupt at byte ${bad.offset} (line ${bad.line}): ${bad.reason}. Records up to LSN ${from - 1} are intact; ${range} come after the damage. Refusing to recover: restore the WAL, or ${hint} (loses ${range})`,
        {
          location: { file: seg.path, line: bad.line },
          segment: seg.path,
          offset: bad.offset,
          line: bad.line,
          reason: bad.reason,
          lsnFrom: lost.from,
          lsnTo: lost.to,
        },
      );
    }
    // Operator truncation. 1: keep the cut bytes. 2: replace the segment that stays, atomically,
    // by its valid prefix plus a fence past the lost LSNs (so they are never handed out again;
    // session rows may record them). 3: move later segments aside. A crash in between leaves
    // either the old state or an overlap the next run resolves the same way.
    const stamp = now();
    const keptAs: string[] = [];
    let removed = 0;
    if (!gap && result.size > bad.offset) {
      const target = join(dir, await freeName(fs, dir, `${seg.name}.broken-${stamp}`));
      await copyRange(fs, seg.path, bad.offset, result.size, target);
      keptAs.push(target);
      removed += result.size - bad.offset;
    }
    const keepInfo = gap ? infos.pop()! : result.info;
    const keepBytes = gap ? keepInfo.bytes : bad.offset;
    const fence = lost.to === null ? null : frameLine(fencePayload(from, lost.to + 1));
    if (!gap || fence !== null) {
      const tmp = `${keepInfo.path}.tmp`;
      await copyRange(fs, keepInfo.path, 0, keepBytes, tmp, fence);
      await fs.rename(tmp, keepInfo.path);
      await fs.syncDir(dir);
    }
    infos.push(
      fence === null
        ? keepInfo
        : {
            ...keepInfo,
            nextLsn: (lost.to as number) + 1,
            fences: keepInfo.fences + 1,
            lines: keepInfo.lines + 1,
            bytes: keepBytes + fence.length,
          },
    );
    expected = infos.at(-1)!.nextLsn;
    for (const later of aside) {
      removed += (await fs.stat(later.path)).size;
      const target = join(dir, await freeName(fs, dir, `${later.name}.broken-${stamp}`));
      await fs.rename(later.path, target);
      keptAs.push(target);
    }
    await fs.syncDir(dir);
    repairs.push({
      kind: 'truncated-at-first-bad',
      segment: seg.path,
      offset: bad.offset,
      line: bad.line,
      reason: bad.reason,
      bytesRemoved: removed,
      lost,
      keptAs,
      applied: true,
    });
    break;
  }

  const withRecords = infos.filter((s) => s.records > 0);
  return makeScan(fs, dir, {
    segments: infos,
    firstLsn: withRecords[0]?.firstLsn ?? null,
    lastLsn: withRecords.at(-1)?.lastLsn ?? null,
    nextLsn: expected ?? 1,
    recordCount: infos.reduce((n, s) => n + s.records, 0),
    bytes: infos.reduce((n, s) => n + s.bytes, 0),
    repairs,
    otherFiles: (mode === 'none' ? names : await fs.list(dir).catch(() => names)).filter(isOther),
    durationMs: performance.now() - started,
  });
}

function makeScan(fs: WalFs, dir: string, found: Omit<WalScan, 'dir' | 'readRecords'>): WalScan {
  return {
    dir,
    ...found,
    otherFiles: [...found.otherFiles].sort(),
    readRecords: (options = {}) => readRecords(fs, found.segments, options.afterLsn ?? 0),
  };
}
