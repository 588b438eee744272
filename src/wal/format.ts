// The on-disk format (v1). A segment file holds JSON lines; each line is one group commit:
//
//   line    = crc SP payload LF
//   crc     = 8 lowercase hex digits: CRC-32 (zlib.crc32, ISO-HDLC) of the payload's exact UTF-8 bytes
//   payload = compact JSON object without a raw LF (JSON.stringify escapes control characters)
//   batch   = {"v":1,"first":F,"recs":[rec, ...]}        recs non-empty, recs[i].lsn = F + i
//   fence   = {"v":1,"first":F,"recs":[],"skip_from":S}  S < F: LSNs S..F-1 were abandoned
//   rec     = {"lsn":L,"sid":"<session>","rid":"<request>","ts":<ms>,"ops":<any JSON>}
//
// LSNs are global and consecutive across lines and segments. A segment is named after the first
// LSN it may hold (`wal-<20 digits>.jsonl`), so names sort in LSN order. The CRC is checked over
// the bytes as read, never over a re-serialization (key order and number formatting differ).
import { crc32 } from 'node:zlib';

export const WAL_FORMAT_VERSION = 1;
const MiB = 1024 * 1024;
/** The reader refuses longer lines before parsing them (bounds memory on a garbled file). */
export const MAX_LINE_BYTES = 16 * MiB;
export const DEFAULT_MAX_RECORD_BYTES = 8 * MiB;
export const DEFAULT_MAX_BATCH_BYTES = MiB;

const SEGMENT_RE = /^wal-(\d{20})\.jsonl$/;

export function segmentName(firstLsn: number): string {
  return `wal-${String(firstLsn).padStart(20, '0')}.jsonl`;
}

/** The first LSN a segment file name stands for, or null if the name is not a segment's. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_RE.exec(name);
  if (m === null) return null;
  const lsn = Number(m[1]);
  return Number.isSafeInteger(lsn) && lsn >= 1 ? lsn : null;
}

/** What a caller appends; the writer assigns the LSN. `ops` must be JSON-safe. */
export interface WalAppendInput {
  /** Session id. */
  readonly sid: string;
  /** Request id (idempotency key). */
  readonly rid: string;
  /** Milliseconds since the epoch; replay feeds it to the engine clock. */
  readonly ts: number;
  readonly ops: unknown;
}

export interface WalRecord extends WalAppendInput {
  readonly lsn: number;
}

/**
 * The serialized record without its LSN (`"sid":…}`), built once at append time so a bad
 * record is rejected before it joins a batch. Returns a reason string when it cannot be encoded.
 */
export function encodeRecordBody(input: WalAppendInput): string | { error: string } {
  if (typeof input !== 'object' || input === null) return { error: 'record is not an object' };
  if (typeof input.sid !== 'string') return { error: 'sid must be a string' };
  if (typeof input.rid !== 'string') return { error: 'rid must be a string' };
  if (typeof input.ts !== 'number' || !Number.isFinite(input.ts)) {
    return { error: 'ts must be a finite number (milliseconds since the epoch)' };
  }
  let ops: string | undefined;
  try {
    ops = JSON.stringify(input.ops) as string | undefined;
  } catch (err) {
    return { error: `ops cannot be serialized as JSON: ${(err as Error).message}` };
  }
  if (typeof ops !== 'string') return { error: 'ops must be a JSON value' };
  return `"sid":${JSON.stringify(input.sid)},"rid":${JSON.stringify(input.rid)},"ts":${JSON.stringify(input.ts)},"ops":${ops}}`;
}

/** The payload of a batch line from record bodies (see encodeRecordBody). */
export function batchPayload(first: number, bodies: readonly string[]): string {
  let out = `{"v":${WAL_FORMAT_VERSION},"first":${first},"recs":[`;
  for (let i = 0; i < bodies.length; i++) {
    out += `${i === 0 ? '' : ','}{"lsn":${first + i},${bodies[i]}`;
  }
  return `${out}]}`;
}

/** The payload of a fence line: LSNs skipFrom..first-1 are declared abandoned. */
export function fencePayload(skipFrom: number, first: number): string {
  return `{"v":${WAL_FORMAT_VERSION},"first":${first},"recs":[],"skip_from":${skipFrom}}`;
}

/** Upper bounds of the bytes a batch line adds around its record bodies: per line, per record. */
export const LINE_OVERHEAD_BYTES = 9 + 1 + 48;
export const RECORD_OVERHEAD_BYTES = 12 + 17;

const HEX = '0123456789abcdef';

/** `<crc> <payload>\n` as bytes. */
export function frameLine(payload: string): Buffer {
  const len = Buffer.byteLength(payload, 'utf8');
  const out = Buffer.allocUnsafe(len + 10);
  out.write(payload, 9, len, 'utf8');
  let crc = crc32(out.subarray(9, 9 + len)) >>> 0;
  for (let i = 7; i >= 0; i--) {
    out[i] = HEX.charCodeAt(crc & 0xf);
    crc >>>= 4;
  }
  out[8] = 0x20;
  out[len + 9] = 0x0a;
  return out;
}

/** The outcome of reading one line (without its LF). */
export type LineCheck =
  | { readonly ok: true; readonly line: DecodedLine }
  /** Not a CRC-valid line: what a torn or unfinished write leaves behind (or damage). */
  | { readonly ok: false; readonly framed: false; readonly reason: string }
  /** CRC-valid but wrong inside: written that way, never a torn write. */
  | {
      readonly ok: false;
      readonly framed: true;
      readonly reason: string;
      readonly unsupportedVersion?: number;
    };

export interface DecodedLine {
  /** The LSN this line continues from (its first record, or the fence's skip_from). */
  readonly start: number;
  /** The LSN the next line must start with. */
  readonly next: number;
  readonly recs: readonly WalRecord[];
  readonly fence: boolean;
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

/** Checks the frame (crc prefix + CRC) only; returns the payload bytes or why it is not a line. */
export function unframe(line: Buffer): Buffer | string {
  if (line.length < 11) return `line too short (${line.length} bytes)`;
  let expected = 0;
  for (let i = 0; i < 8; i++) {
    const d = hexDigit(line[i]!);
    if (d < 0) return 'line does not start with 8 lowercase hex digits (the CRC)';
    expected = expected * 16 + d;
  }
  if (line[8] !== 0x20) return 'no space after the CRC';
  const payload = line.subarray(9);
  const actual = crc32(payload) >>> 0;
  if (actual !== expected) {
    return `CRC mismatch (stored ${line.toString('latin1', 0, 8)}, computed ${actual.toString(16).padStart(8, '0')})`;
  }
  return payload;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLsn(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/** Validates a whole line: frame, JSON, version, record shapes and LSN order inside the line. */
export function checkLine(line: Buffer): LineCheck {
  const payload = unframe(line);
  if (typeof payload === 'string') return { ok: false, framed: false, reason: payload };
  const bad = (reason: string): LineCheck => ({ ok: false, framed: true, reason });
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return bad(`payload is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(v)) return bad('payload is not a JSON object');
  if (typeof v.v !== 'number') return bad('payload has no version field "v"');
  if (v.v !== WAL_FORMAT_VERSION) {
    return {
      ok: false,
      framed: true,
      reason: `format version ${v.v} is not supported (this Nautilus reads version ${WAL_FORMAT_VERSION})`,
      unsupportedVersion: v.v,
    };
  }
  const first = v.first;
  if (!isLsn(first)) return bad('"first" is not a positive integer');
  if (!Array.isArray(v.recs)) return bad('"recs" is not an array');
  if (v.recs.length === 0) {
    const skip = v.skip_from;
    if (!isLsn(skip) || skip >= first) {
      return bad('a line without records must be a fence with "skip_from" below "first"');
    }
    return { ok: true, line: { start: skip, next: first, recs: [], fence: true } };
  }
  if (v.skip_from !== undefined) return bad('"skip_from" on a line with records');
  const recs: WalRecord[] = [];
  for (let i = 0; i < v.recs.length; i++) {
    const r: unknown = v.recs[i];
    const where = `record ${i + 1} of the line (LSN ${first + i})`;
    if (!isObject(r)) return bad(`${where} is not an object`);
    if (r.lsn !== first + i) {
      return bad(`${where}: "lsn" is ${JSON.stringify(r.lsn)}, expected ${first + i}`);
    }
    if (typeof r.sid !== 'string') return bad(`${where}: "sid" is not a string`);
    if (typeof r.rid !== 'string') return bad(`${where}: "rid" is not a string`);
    if (typeof r.ts !== 'number') return bad(`${where}: "ts" is not a number`);
    if (!Object.hasOwn(r, 'ops')) return bad(`${where}: "ops" is missing`);
    recs.push({ lsn: first + i, sid: r.sid, rid: r.rid, ts: r.ts, ops: r.ops });
  }
  return { ok: true, line: { start: first, next: first + recs.length, recs, fence: false } };
}

function looksLikeLineStart(buf: Buffer, at: number): boolean {
  if (buf.length < at + 9 || buf[at + 8] !== 0x20) return false;
  for (let i = at; i < at + 8; i++) if (hexDigit(buf[i]!) < 0) return false;
  return true;
}

/**
 * When a bad line is really a complete, CRC-valid line whose LF was damaged, fused with the
 * start of the next line (`<valid line><damaged byte><8 hex digits> …`): the damaged byte's
 * offset; otherwise -1. A torn write cannot produce that (nothing is written after an
 * unfinished line), so it is corruption, not a tail.
 */
export function fusedLines(line: Buffer): number {
  if (line.length < 21 || !looksLikeLineStart(line, 0)) return -1;
  let stored = 0;
  for (let i = 0; i < 8; i++) stored = stored * 16 + hexDigit(line[i]!);
  let crc = 0;
  let from = 9;
  for (let p = line.indexOf(0x7d, 9); p !== -1; p = line.indexOf(0x7d, p + 1)) {
    crc = crc32(line.subarray(from, p + 1), crc);
    from = p + 1;
    if (crc >>> 0 === stored && looksLikeLineStart(line, p + 2)) return p + 1;
  }
  return -1;
}
