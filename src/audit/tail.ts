// Opening an existing log: find where the chain ends so appends continue it. A torn last line (no
// trailing newline: an append that never completed, so never acknowledged) is truncated with a
// warning; anything else that does not verify is NAU_AUDIT_CORRUPT, naming the line.
import { NautilusError } from '../errors.ts';
import { type AuditProblem, ChainChecker } from './chain.ts';
import { GENESIS_HASH } from './entry.ts';
import type { AuditFileHandle } from './fs.ts';
import { type RawLine, readLines } from './read-lines.ts';

export interface ChainEnd {
  readonly nextSeq: number;
  readonly lastHash: string;
  /** File size after any truncation: everything up to here is committed. */
  readonly size: number;
}

export type VerifyOnOpen = 'tail' | 'full';

const BACK_CHUNK = 64 * 1024;

/** Positions of up to `count` newline bytes before `end`, nearest first. */
async function lastNewlines(h: AuditFileHandle, end: number, count: number): Promise<number[]> {
  const found: number[] = [];
  const buf = Buffer.allocUnsafe(BACK_CHUNK);
  let hi = end;
  while (hi > 0 && found.length < count) {
    const lo = Math.max(0, hi - BACK_CHUNK);
    const n = await readFully(h, buf, hi - lo, lo);
    for (let i = n - 1; i >= 0 && found.length < count; i--) {
      if (buf[i] === 10) found.push(lo + i);
    }
    hi = lo;
  }
  return found;
}

async function readFully(h: AuditFileHandle, buf: Buffer, length: number, position: number) {
  let got = 0;
  while (got < length) {
    const n = await h.read(buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

async function readRange(h: AuditFileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  await readFully(h, buf, to - from, from);
  return buf;
}

async function lineNumberAt(h: AuditFileHandle, offset: number): Promise<number> {
  let count = 1;
  const buf = Buffer.allocUnsafe(BACK_CHUNK);
  for (let pos = 0; pos < offset; pos += BACK_CHUNK) {
    const n = await readFully(h, buf, Math.min(BACK_CHUNK, offset - pos), pos);
    for (let i = 0; i < n; i++) if (buf[i] === 10) count++;
  }
  return count;
}

function corrupt(path: string, problems: readonly AuditProblem[]): NautilusError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : '';
  return new NautilusError(
    'NAU_AUDIT_CORRUPT',
    `audit log ${path}:${first.line}: ${first.problem}${more}; refusing to continue a hash chain that does not verify (run \`nautilus audit verify ${path}\`)`,
    500,
    { location: { file: path, line: first.line }, problems },
  );
}

async function truncateTorn(
  h: AuditFileHandle,
  path: string,
  at: number,
  size: number,
  warn: (message: string) => void,
): Promise<void> {
  await h.truncate(at);
  await h.sync();
  warn(
    `audit log ${path}: truncated an incomplete last line (${size - at} bytes at offset ${at}); it was never acknowledged`,
  );
}

/** Finds the end of the chain in an open log, repairing a torn tail. */
export async function recoverChainEnd(
  h: AuditFileHandle,
  path: string,
  mode: VerifyOnOpen,
  warn: (message: string) => void,
): Promise<ChainEnd> {
  return mode === 'full' ? recoverFull(h, path, warn) : recoverTail(h, path, warn);
}

async function recoverTail(
  h: AuditFileHandle,
  path: string,
  warn: (message: string) => void,
): Promise<ChainEnd> {
  let size = await h.size();
  if (size === 0) return { nextSeq: 1, lastHash: GENESIS_HASH, size };
  // Three newlines: the last line's terminator, and the ends of the two lines before it.
  const nls = await lastNewlines(h, size, 3);
  if (nls[0] !== size - 1) {
    const at = nls.length > 0 ? nls[0]! + 1 : 0;
    await truncateTorn(h, path, at, size, warn);
    size = at;
    if (size === 0) return { nextSeq: 1, lastHash: GENESIS_HASH, size };
  }
  // Now nls[0] === size - 1; the last line ends at nls[0], the one before it at nls[1].
  const lastStart = nls.length > 1 ? nls[1]! + 1 : 0;
  const lines: { from: number; to: number }[] = [];
  if (lastStart > 0) lines.push({ from: nls.length > 2 ? nls[2]! + 1 : 0, to: nls[1]! });
  lines.push({ from: lastStart, to: nls[0]! });
  const raws = await Promise.all(lines.map((r) => readRange(h, r.from, r.to)));
  // Checking from the file start when the first line read is line 1, else from an unknown state.
  const fromStart = lines[0]!.from === 0;
  const run = (numbers: number[]) => {
    const checker = fromStart ? new ChainChecker() : new ChainChecker(null, null);
    raws.forEach((bytes, i) => {
      checker.check({ bytes, line: numbers[i]!, offset: lines[i]!.from, terminated: true });
    });
    return checker;
  };
  let checker = run(lines.map((_, i) => i + 1));
  if (checker.problems.length > 0) {
    // Error path only: count lines so the message names the real line numbers.
    const first = await lineNumberAt(h, lines[0]!.from);
    checker = run(lines.map((_, i) => first + i));
    throw corrupt(path, checker.problems);
  }
  return { nextSeq: checker.lastSeq! + 1, lastHash: checker.lastHash!, size };
}

async function recoverFull(
  h: AuditFileHandle,
  path: string,
  warn: (message: string) => void,
): Promise<ChainEnd> {
  const checker = new ChainChecker();
  let torn: RawLine | null = null;
  for await (const raw of readLines((b, o, l, p) => h.read(b, o, l, p))) {
    if (raw.terminated) checker.check(raw);
    else torn = raw;
  }
  if (checker.problems.length > 0) throw corrupt(path, checker.problems);
  let size = await h.size();
  if (torn !== null) {
    await truncateTorn(h, path, torn.offset, size, warn);
    size = torn.offset;
  }
  if (checker.lastSeq === null) return { nextSeq: 1, lastHash: GENESIS_HASH, size };
  return { nextSeq: checker.lastSeq + 1, lastHash: checker.lastHash!, size };
}
