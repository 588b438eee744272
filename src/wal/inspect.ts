// A read-only look at a WAL for operators (`nautilus wal inspect|verify`): segments, LSN ranges,
// sizes, sessions. Never modifies anything (repair mode `none`), so it is safe on a live WAL.
import { basename, dirname } from 'node:path';
import { walError } from './errors.ts';
import { parseSegmentName } from './format.ts';
import { nodeWalFs, type WalFs } from './fs.ts';
import { readWalLockOwner, type WalLockOwner } from './lock.ts';
import { scanWal, type WalScan, type WalSegmentInfo } from './scan.ts';

export interface WalSessionSummary {
  readonly sid: string;
  readonly records: number;
  readonly firstLsn: number;
  readonly lastLsn: number;
  readonly firstTs: number;
  readonly lastTs: number;
}

export interface WalInspection {
  readonly path: string;
  readonly scan: WalScan;
  readonly segments: readonly (WalSegmentInfo & { readonly sessions: number })[];
  /** In order of first appearance. */
  readonly sessions: readonly WalSessionSummary[];
  readonly lock: WalLockOwner | null;
}

/**
 * Scans a WAL directory, or a single segment file, read-only. Throws NAU_WAL_CORRUPT /
 * NAU_WAL_UNSUPPORTED_VERSION on damage and NAU_WAL_UNREADABLE when it cannot be read.
 */
export async function inspectWal(
  path: string,
  options: {
    readonly fs?: WalFs;
    /** Read every record for the per-session summary (default true). */
    readonly records?: boolean;
  } = {},
): Promise<WalInspection> {
  const fs = options.fs ?? nodeWalFs;
  let isDir: boolean;
  try {
    isDir = (await fs.stat(path)).isDirectory;
  } catch (err) {
    throw walError('NAU_WAL_UNREADABLE', `cannot read WAL ${path}: ${(err as Error).message}`, {
      location: { file: path },
    });
  }
  const dir = isDir ? path : dirname(path);
  if (!isDir && parseSegmentName(basename(path)) === null) {
    throw walError(
      'NAU_WAL_UNREADABLE',
      `${path} is not a WAL segment (expected a name like wal-00000000000000000001.jsonl) nor a WAL directory`,
      { location: { file: path } },
    );
  }
  const scan = await scanWal(dir, {
    fs,
    repair: 'none',
    ...(isDir ? {} : { segment: basename(path) }),
  });
  const perSegment = scan.segments.map(() => new Set<string>());
  const sessions = new Map<string, WalSessionSummary>();
  let segIndex = 0;
  const records = options.records === false ? [] : scan.readRecords();
  for await (const rec of records) {
    while (segIndex < scan.segments.length - 1 && rec.lsn >= scan.segments[segIndex]!.nextLsn) {
      segIndex++;
    }
    perSegment[segIndex]?.add(rec.sid);
    const s = sessions.get(rec.sid);
    sessions.set(
      rec.sid,
      s === undefined
        ? {
            sid: rec.sid,
            records: 1,
            firstLsn: rec.lsn,
            lastLsn: rec.lsn,
            firstTs: rec.ts,
            lastTs: rec.ts,
          }
        : { ...s, records: s.records + 1, lastLsn: rec.lsn, lastTs: rec.ts },
    );
  }
  return {
    path,
    scan,
    segments: scan.segments.map((s, i) => ({ ...s, sessions: perSegment[i]?.size ?? 0 })),
    sessions: [...sessions.values()],
    lock: isDir ? await readWalLockOwner(fs, dir) : null,
  };
}
